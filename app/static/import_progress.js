/* Upload register and large exports: the progress bar of a background job (F24, F22). The
   job's state is on the server, so a reload shows the same bar; when the job ends the page
   reloads to the report or the download link. Without a worker the page says so. */
(function () {
  "use strict";
  var box = document.getElementById("import-progress") || document.getElementById("export-progress");
  if (!box) {
    return;
  }
  var bar = box.querySelector(".progress-bar");
  var phase = box.querySelector(".import-phase");
  var count = box.querySelector(".import-count");
  var waiting = box.querySelector(".background-waiting");
  function poll() {
    fetch(box.getAttribute("data-status-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.status !== "queued" && state.status !== "running") {
          window.location.reload();
          return;
        }
        var percent = state.percent || 0;
        bar.style.width = percent + "%";
        bar.setAttribute("aria-valuenow", percent);
        bar.textContent = percent + " %";
        if (waiting) {
          waiting.hidden = !state.waiting;
          if (state.waiting_message) {
            waiting.textContent = state.waiting_message;
          }
        }
        if (state.phase_label) {
          phase.textContent = state.phase_label;
        }
        count.textContent = count.textContent.replace(/^[\d\s]+/, state.done + " ");
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
