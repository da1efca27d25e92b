// Answers: math typeset by KaTeX (served from its npm package), a copy button per code
// block and per answer, and the page's one polite live region (window.ArenaAnswers).
(function () {
  "use strict";

  // How long a copy button says "Copied" before it reads "Copy" again.
  const COPIED_MS = 2000;

  // Status changes only, never tokens; the same message twice is still read out.
  function announce(message) {
    const region = document.getElementById("announcer");
    if (!region) return;
    if (region.textContent === message) {
      region.textContent = "";
      window.requestAnimationFrame(() => { region.textContent = message; });
    } else {
      region.textContent = message;
    }
  }

  // The server leaves TeX source in .math elements; typeset once the answer is complete.
  function typeset(body) {
    if (!window.katex) return;
    body.querySelectorAll(".math:not([data-typeset])").forEach((el) => {
      const tex = el.textContent.trim();
      try {
        window.katex.render(tex, el, {
          displayMode: el.classList.contains("block"),
          throwOnError: false,
          output: "htmlAndMathml",
        });
        el.dataset.typeset = "true";
      } catch (err) {
        // Leave the TeX source as written: still readable.
      }
    });
  }

  async function copy(button, text) {
    let copied = true;
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {
      copied = false;
    }
    button.textContent = copied ? "Copied" : "Copy failed";
    button.dataset.state = copied ? "copied" : "failed";
    announce(copied ? "Copied to the clipboard." : "Could not copy: the browser did not allow it.");
    window.clearTimeout(button.resetTimer);
    button.resetTimer = window.setTimeout(() => {
      button.textContent = button.dataset.label;
      delete button.dataset.state;
    }, COPIED_MS);
  }

  function copyButton(label, text) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button copy";
    button.textContent = label;
    button.dataset.label = label;
    button.addEventListener("click", () => copy(button, text()));
    return button;
  }

  // The Markdown as the model wrote it, kept inert beside the rendered answer.
  function source(card) {
    const template = card.querySelector("template.answer-source");
    return template ? template.content.textContent : card.querySelector(".answer-body").innerText;
  }

  function setSource(card, text) {
    const template = card.querySelector("template.answer-source");
    if (template) template.content.textContent = text;
  }

  // A finished answer: math typeset, copy buttons added (once each).
  function enhance(card) {
    const body = card.querySelector(".answer-body");
    const done = card.dataset.status === "done";
    let copyAnswer = card.querySelector(".answer-head .copy");
    if (done && !copyAnswer) {
      copyAnswer = copyButton("Copy answer", () => source(card));
      card.querySelector(".answer-head .status").before(copyAnswer);
    }
    if (copyAnswer) copyAnswer.hidden = !done;
    if (!done || !body.classList.contains("markdown")) return;
    typeset(body);
    body.querySelectorAll(".code-block").forEach((block) => {
      if (block.querySelector(".copy")) return;
      const pre = block.querySelector("pre");
      block.prepend(copyButton("Copy code", () => pre.textContent));
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".answer").forEach(enhance);
  });

  window.ArenaAnswers = { announce: announce, enhance: enhance, setSource: setSource };
})();
