// Arena: shared helpers (window.Arena) and the prompt form; the battle page is battle.js.
// Plain JS; every form also works without it (server-side fallbacks).
(function () {
  "use strict";

  function csrfToken(form) {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function postJSON(url, body, token) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
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

  function initHome(form) {
    const error = document.getElementById("form-error");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      showError(error, "");
      try {
        const battle = await postJSON(form.dataset.api, { prompt: form.prompt.value }, csrfToken(form));
        window.location.assign("/battles/" + battle.id + "/");
      } catch (err) {
        showError(error, err.message);
        button.disabled = false;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("prompt-form");
    if (form) initHome(form);
  });

  window.Arena = { csrfToken: csrfToken, postJSON: postJSON, showError: showError };
})();
