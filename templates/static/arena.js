// Arena: the prompt form, the live battle page (one EventSource, both sides), voting.
// Plain JS; every form also works without it (server-side fallbacks).
(function () {
  "use strict";

  const STATUS_TEXT = {
    pending: "Waiting…", thinking: "Thinking…", streaming: "Writing…", done: "Done", failed: "Failed",
  };
  // How long to wait before asking again when the server says it is briefly unavailable.
  const RETRY_MS = 5000;

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

  function initBattle(root) {
    const api = root.dataset.api;
    const turns = document.getElementById("turns");
    const voteForm = document.getElementById("vote-form");
    const followForm = document.getElementById("followup-form");
    const error = document.getElementById("battle-error");
    const regenForm = document.getElementById("regenerate-form");
    // Both sides, or only "a" in a direct chat.
    const SIDES = (root.dataset.sides || "a b").split(" ");
    let source = null;

    const latestTurn = () => turns.lastElementChild;
    const answer = (turn, side) => turn.querySelector('.answer[data-side="' + side + '"]');

    function setStatus(el, status) {
      el.dataset.status = status;
      el.querySelector(".status").textContent = STATUS_TEXT[status] || status;
    }

    function showCompletion(el, completion) {
      setStatus(el, completion.status);
      const body = el.querySelector(".answer-body");
      if (completion.status === "done") {
        body.innerHTML = completion.html; // sanitised by the server
        body.classList.add("markdown");
      } else if (completion.status === "failed") {
        body.textContent = completion.text;
      }
      const err = el.querySelector(".answer-error");
      err.textContent = completion.error;
      err.hidden = !completion.error;
    }

    function setControls(battle) {
      root.dataset.status = battle.status;
      const ready = battle.status === "ready";
      const over = battle.status === "voted" || battle.status === "failed";
      voteForm.querySelectorAll("button").forEach((b) => { b.disabled = !ready; });
      document.getElementById("vote-hint").textContent = ready
        ? "Both answers are complete. Your vote is final."
        : "Voting opens when both answers are complete.";
      voteForm.hidden = over || SIDES.length === 1;
      followForm.hidden = over;
      regenForm.hidden = !(ready || battle.status === "failed");
      followForm.querySelector("button").disabled = !ready;
      document.getElementById("failed").hidden = battle.status !== "failed";
      if (battle.reveal) {
        showReveal(battle.reveal);
        showTraces(battle.turns);
      }
    }

    function showReveal(reveal) {
      for (const side of ["a", "b"]) {
        const dd = document.querySelector('[data-reveal="' + side + '"]');
        dd.textContent = reveal[side].name;
        if (!reveal[side].revealed) {
          const note = document.createElement("span");
          note.className = "codename";
          note.textContent = "codename — not yet revealed";
          dd.append(" ", note);
        }
      }
      const notice = document.getElementById("reveal-notice");
      notice.textContent = reveal.notice || "";
      notice.hidden = !reveal.notice;
      document.getElementById("reveal").hidden = false;
    }

    // After the vote: each side's reasoning, collapsed, as text (never as HTML). The same
    // markup as the server renders in _answer.html.
    function showTraces(battleTurns) {
      battleTurns.forEach((turn, index) => {
        const el = turns.children[index];
        if (!el || !turn.reasoning) return;
        for (const side of ["a", "b"]) {
          const card = answer(el, side);
          if (!card || !turn.reasoning[side] || card.querySelector(".trace")) continue;
          const details = document.createElement("details");
          details.className = "trace";
          const summary = document.createElement("summary");
          summary.textContent = "Reasoning";
          const body = document.createElement("div");
          body.className = "trace-body";
          body.textContent = turn.reasoning[side];
          details.append(summary, body);
          card.querySelector(".answer-head").after(details);
        }
      });
    }

    // A side that finished gets its server-rendered Markdown without waiting for the other.
    async function renderSide(turn, side) {
      const response = await fetch(api, { credentials: "same-origin" });
      if (!response.ok) return;
      const battle = await response.json();
      const latest = battle.turns[battle.turns.length - 1];
      if (turn === latestTurn() && latest[side].status !== "streaming") {
        showCompletion(answer(turn, side), latest[side]);
      }
    }

    async function refresh() {
      let response = null;
      try {
        response = await fetch(api, { credentials: "same-origin" });
      } catch (err) {
        // The network or the server is away for a moment: say so and keep trying.
      }
      const battle = response ? await response.json().catch(() => ({})) : {};
      if (!response || response.status === 503) {
        showError(error, battle.detail || "The arena is briefly unavailable. Trying again…");
        window.setTimeout(refresh, RETRY_MS);
        return;
      }
      if (!response.ok) { showError(error, battle.detail || "Could not load the battle."); return; }
      showError(error, "");
      const turn = battle.turns[battle.turns.length - 1];
      for (const side of SIDES) showCompletion(answer(latestTurn(), side), turn[side]);
      setControls(battle);
      if (battle.status === "generating" && !source) window.setTimeout(listen, 1000);
    }

    // One EventSource carries both sides of the latest turn; it resumes by Last-Event-ID.
    function listen() {
      const turn = latestTurn();
      for (const side of SIDES) answer(turn, side).querySelector(".answer-body").textContent = "";
      source = new EventSource(api + "/events");
      source.addEventListener("delta", (event) => {
        const data = JSON.parse(event.data);
        const el = answer(turn, data.side);
        if (["pending", "thinking"].includes(el.dataset.status)) setStatus(el, "streaming");
        el.querySelector(".answer-body").append(data.text);
      });
      // A reasoning model thinks before it answers: say so, not what (only after the vote).
      source.addEventListener("thinking", (event) => {
        const el = answer(turn, JSON.parse(event.data).side);
        if (!el.querySelector(".answer-body").textContent) setStatus(el, "thinking");
      });
      source.addEventListener("reset", (event) => {
        answer(turn, JSON.parse(event.data).side).querySelector(".answer-body").textContent = "";
      });
      source.addEventListener("end", (event) => {
        const data = JSON.parse(event.data);
        setStatus(answer(turn, data.side), data.status);
        renderSide(turn, data.side);
      });
      source.addEventListener("done", () => {
        source.close();
        source = null;
        refresh();
      });
      source.onerror = () => {
        // A refused stream (403/404) closes; a dropped one reconnects by itself.
        if (source && source.readyState === EventSource.CLOSED) {
          source = null;
          refresh();
        }
      };
    }

    voteForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const outcome = event.submitter && event.submitter.value;
      voteForm.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      showError(error, "");
      try {
        await postJSON(api + "/vote", { outcome: outcome }, csrfToken(voteForm));
      } catch (err) {
        showError(error, err.message);
      }
      await refresh();
      document.getElementById("reveal").scrollIntoView({ behavior: "smooth", block: "center" });
    });

    followForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const prompt = followForm.prompt.value;
      followForm.querySelector("button").disabled = true;
      showError(error, "");
      try {
        const battle = await postJSON(api + "/turns", { prompt: prompt }, csrfToken(followForm));
        const fresh = document.getElementById("turn-template").content.firstElementChild.cloneNode(true);
        fresh.querySelector(".turn-prompt p").textContent = prompt;
        turns.append(fresh);
        followForm.prompt.value = "";
        setControls(battle);
        fresh.scrollIntoView({ behavior: "smooth", block: "start" });
        listen();
      } catch (err) {
        showError(error, err.message);
        followForm.querySelector("button").disabled = false;
      }
    });

    // Regenerate: the server keeps the old answers (marked) and says which battle now
    // generates (this one, or the new pair's); its page streams them.
    regenForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const pair = event.submitter && event.submitter.value;
      regenForm.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      showError(error, "");
      try {
        const battle = await postJSON(api + "/regenerate", { pair: pair }, csrfToken(regenForm));
        window.location.assign("/battles/" + battle.id + "/");
      } catch (err) {
        showError(error, err.message);
        regenForm.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      }
    });

    if (root.dataset.status === "generating") listen();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("prompt-form");
    if (form) initHome(form);
    const battle = document.getElementById("battle");
    if (battle) initBattle(battle);
  });
})();
