// Arena: shared helpers (window.Arena) and the prompt form; the battle page is battle.js.
// Plain JS; every form also works without it (server-side fallbacks).
(function () {
  "use strict";

  function csrfToken(form) {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function postJSON(url, body, token, extraHeaders) {
    const response = await fetch(url, {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json", "X-CSRFToken": token }, extraHeaders),
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail || "Something went wrong (" + response.status + ").");
    return data;
  }

  function showError(el, message) {
    el.textContent = message;
    el.hidden = !message;
  }

  // Ctrl/Cmd+Enter in a textarea submits its form.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });

  // The human check (battles/human_check.py): the token POST /api/battles wants.
  const CAPTCHA_FIELDS = { turnstile: "cf-turnstile-response", hcaptcha: "h-captcha-response" };

  function hasZeroBits(bytes, bits) {
    let i = 0;
    for (; bits >= 8; bits -= 8, i++) if (bytes[i] !== 0) return false;
    return bits === 0 || (bytes[i] >> (8 - bits)) === 0;
  }

  async function solveProofOfWork(challenge, difficulty) {
    const encoder = new TextEncoder();
    for (let nonce = 0; ; nonce++) {
      const data = encoder.encode(challenge + ":" + nonce);
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
      if (hasZeroBits(digest, difficulty)) return challenge + ":" + nonce;
    }
  }

  async function humanCheckToken(form) {
    const kind = form.dataset.humanCheck;
    if (!kind || kind === "off") return "";
    if (kind in CAPTCHA_FIELDS) {
      const input = form.querySelector('[name="' + CAPTCHA_FIELDS[kind] + '"]');
      return input ? input.value : "";
    }
    const response = await fetch(form.dataset.humanCheckApi, { credentials: "same-origin" });
    if (!response.ok) throw new Error("The human check is unavailable right now. Please try again.");
    const check = await response.json();
    return check.kind === "pow" ? solveProofOfWork(check.challenge, check.difficulty) : "";
  }

  function initHome(form) {
    const error = document.getElementById("form-error");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      showError(error, "");
      try {
        const human = await humanCheckToken(form);
        const battle = await postJSON(
          form.dataset.api, { prompt: form.prompt.value }, csrfToken(form),
          human ? { "X-Human-Check": human } : {},
        );
        window.location.assign("/battles/" + battle.id + "/");
      } catch (err) {
        showError(error, err.message);
        button.disabled = false;
        // A captcha token is good for one try: the widget needs a fresh one.
        const widget = { turnstile: window.turnstile, hcaptcha: window.hcaptcha }[form.dataset.humanCheck];
        if (widget && widget.reset) widget.reset();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("prompt-form");
    if (form) initHome(form);
  });

  window.Arena = { csrfToken: csrfToken, postJSON: postJSON, showError: showError };
})();
