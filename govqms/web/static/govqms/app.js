/* GovQMS shell behaviour. Small, dependency-free, no inline handlers (CSP-friendly).
   Everything here is an enhancement: without JavaScript every page still works. */
(function () {
  "use strict";

  // Org tree: disclosure buttons. htmx loads the children once (hx-trigger="click once");
  // this only flips aria-expanded and shows/hides the nested list.
  function toggleTree(button) {
    var expanded = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", expanded ? "false" : "true");
    var panel = document.getElementById(button.getAttribute("aria-controls"));
    if (panel) {
      panel.hidden = expanded;
    }
  }

  // Copy buttons: data-copy="<id of the element holding the text>".
  function copyFrom(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) {
      return;
    }
    var text = source.textContent.trim();
    var status = button.parentNode.querySelector(".copy-status");
    function done() {
      if (status) {
        status.textContent = button.getAttribute("data-copied-text") || "";
      }
    }
    function fallback() {
      // Plain-http intranets have no async clipboard: select the text and use execCommand.
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try {
        if (document.execCommand("copy")) {
          done();
        }
      } catch (e) {
        /* the text stays selected for Ctrl+C */
      }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-tree-toggle]");
    if (toggle) {
      toggleTree(toggle);
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      copyFrom(copy);
    }
  });

  // Copy buttons need JavaScript, so they start hidden and are shown here.
  Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
    button.hidden = false;
  });

  // A failed htmx load inside the org tree leaves a readable message instead of "Loading…".
  function showLoadError(event) {
    var target = event.detail && event.detail.target;
    var tree = target && target.closest ? target.closest("[data-tree]") : null;
    if (!tree) {
      return;
    }
    var message = document.createElement("p");
    message.className = "tree-error";
    message.setAttribute("role", "alert");
    message.textContent = tree.getAttribute("data-error-text") || "";
    target.replaceChildren(message);
  }
  document.addEventListener("htmx:responseError", showLoadError);
  document.addEventListener("htmx:sendError", showLoadError);

  // "Load more" rows: move focus to the first new row so keyboard users keep their place.
  document.addEventListener("htmx:afterSettle", function () {
    var first = document.querySelector("[data-focus-on-load]");
    if (first) {
      first.removeAttribute("data-focus-on-load");
      first.focus();
    }
  });
})();
