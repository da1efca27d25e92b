// The live battle page: one EventSource for both sides, voting (buttons and keyboard
// shortcuts), follow-ups, regeneration, and honest state (failed, expired). Uses the
// helpers of arena.js (window.Arena) and answers.js (window.ArenaAnswers).
(function () {
  "use strict";

  const STATUS_TEXT = {
    pending: "Waiting…", thinking: "Thinking…", streaming: "Writing…", done: "Done", failed: "Failed",
  };
  const FINISHED = ["done", "failed"];
  // How long to wait before asking again when the server says it is briefly unavailable.
  const RETRY_MS = 5000;
  const { csrfToken, postJSON, showError } = window.Arena;
  const { announce, enhance, setSource } = window.ArenaAnswers;
  const scrollBehavior = () =>
    window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";

  // What the live region says when the battle as a whole changes state.
  function battleAnnouncement(battle, direct) {
    switch (battle.status) {
      case "ready":
        return direct ? "The answer is complete." : "Both answers are complete. You can vote now.";
      case "generating":
        return direct ? "The model is writing." : "Both models are writing.";
      case "failed":
        return "An answer could not be generated, so this battle can't be voted on. You can start a new battle.";
      case "abandoned":
        return battle.replaced_by
          ? "This battle was replaced by a new pair of models."
          : "This battle has expired and can no longer be voted on. You can start a new battle.";
      case "voted":
        if (!battle.reveal) return "Your vote is recorded.";
        return "Your vote is recorded. Model A was " + battle.reveal.a.name + "; model B was "
          + battle.reveal.b.name + "." + (battle.reveal.notice ? " " + battle.reveal.notice : "");
      default:
        return "";
    }
  }

  function isTyping(target) {
    return target instanceof Element
      && (target.isContentEditable || target.closest("input, textarea, select, [contenteditable]") !== null);
  }

  function initBattle(root) {
    const api = root.dataset.api;
    const turns = document.getElementById("turns");
    const voteForm = document.getElementById("vote-form");
    const voteHint = document.getElementById("vote-hint");
    const followForm = document.getElementById("followup-form");
    const error = document.getElementById("battle-error");
    const regenForm = document.getElementById("regenerate-form");
    const over = document.getElementById("battle-over");
    // Both sides, or only "a" in a direct chat.
    const SIDES = (root.dataset.sides || "a b").split(" ");
    const direct = SIDES.length === 1;
    let source = null;
    let lastStatus = root.dataset.status;

    const latestTurn = () => turns.lastElementChild;
    const answer = (turn, side) => turn.querySelector('.answer[data-side="' + side + '"]');

    function setStatus(el, status) {
      el.dataset.status = status;
      el.setAttribute("aria-busy", String(!FINISHED.includes(status)));
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
      setSource(el, completion.text);
      const err = el.querySelector(".answer-error");
      err.textContent = completion.error;
      err.hidden = !completion.error;
      enhance(el);
    }

    function setControls(battle) {
      root.dataset.status = battle.status;
      const ready = battle.status === "ready";
      const closed = ["voted", "failed", "abandoned"].includes(battle.status);
      voteForm.querySelectorAll("button").forEach((b) => { b.disabled = !ready; });
      voteHint.textContent = voteHint.dataset[ready ? "ready" : closed ? "closed" : "generating"];
      voteForm.hidden = closed || direct;
      followForm.hidden = closed;
      regenForm.hidden = !(ready || battle.status === "failed");
      followForm.querySelector("button").disabled = !ready;
      over.dataset.state = battle.status;
      over.hidden = !["failed", "abandoned"].includes(battle.status) || Boolean(battle.replaced_by);
      if (battle.reveal) {
        showReveal(battle.reveal);
        showTraces(battle.turns);
      }
      if (battle.status !== lastStatus) {
        lastStatus = battle.status;
        announce(battleAnnouncement(battle, direct));
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

    const sideName = (side) => (direct ? "The model" : "Model " + side.toUpperCase());

    // One EventSource carries both sides of the latest turn; it resumes by Last-Event-ID.
    // Tokens go into the answers as plain text; only status changes are announced.
    function listen() {
      const turn = latestTurn();
      for (const side of SIDES) answer(turn, side).querySelector(".answer-body").textContent = "";
      const writing = new Set();
      source = new EventSource(api + "/events");
      source.addEventListener("delta", (event) => {
        const data = JSON.parse(event.data);
        const el = answer(turn, data.side);
        if (["pending", "thinking"].includes(el.dataset.status)) setStatus(el, "streaming");
        if (!writing.has(data.side)) {
          writing.add(data.side);
          announce(sideName(data.side) + " is writing.");
        }
        el.querySelector(".answer-body").append(data.text);
      });
      // A reasoning model thinks before it answers: say so, not what (only after the vote).
      source.addEventListener("thinking", (event) => {
        const side = JSON.parse(event.data).side;
        const el = answer(turn, side);
        if (!el.querySelector(".answer-body").textContent && el.dataset.status !== "thinking") {
          setStatus(el, "thinking");
          announce(sideName(side) + " is thinking.");
        }
      });
      source.addEventListener("reset", (event) => {
        answer(turn, JSON.parse(event.data).side).querySelector(".answer-body").textContent = "";
      });
      source.addEventListener("end", (event) => {
        const data = JSON.parse(event.data);
        setStatus(answer(turn, data.side), data.status);
        announce(sideName(data.side) + (data.status === "done" ? " has finished." : " failed."));
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
      document.getElementById("reveal").scrollIntoView({ behavior: scrollBehavior(), block: "center" });
    });

    // Shortcuts (keys from battles/shortcuts.py, on the buttons): a vote key presses its
    // button, or says why voting is not open; the new-battle key starts over.
    document.addEventListener("keydown", (event) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTyping(event.target)) return;
      const key = event.key.toLowerCase();
      if (key === root.dataset.newBattleKey) {
        event.preventDefault();
        window.location.assign("/");
        return;
      }
      const button = Array.from(voteForm.querySelectorAll("button[data-key]")).find((b) => b.dataset.key === key);
      if (!button || voteForm.hidden) return;
      event.preventDefault();
      if (button.disabled) announce(voteHint.textContent);
      else voteForm.requestSubmit(button);
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
        fresh.scrollIntoView({ behavior: scrollBehavior(), block: "start" });
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

    // A battle left open in a tab may expire meanwhile: look again when it is shown.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && root.dataset.status === "ready") refresh();
    });

    if (root.dataset.status === "generating") listen();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const battle = document.getElementById("battle");
    if (battle) initBattle(battle);
  });
})();
