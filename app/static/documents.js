/* Customer documents: drag and drop onto the upload form, and a size check before sending.
   The form works without this script. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) {
    return;
  }
  var input = form.querySelector("input[type=file]");
  var zone = document.getElementById("drop-zone");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
  var maxFiles = parseInt(form.getAttribute("data-max-files"), 10);

  function acceptable(files) {
    if (files.length > maxFiles) {
      window.alert(form.getAttribute("data-too-many"));
      return false;
    }
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > maxBytes) {
        window.alert(form.getAttribute("data-too-large").replace("{name}", files[i].name));
        return false;
      }
    }
    return true;
  }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("drag-over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () {
      zone.classList.remove("drag-over");
    });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!files || !files.length) {
      return;
    }
    input.files = files;
    if (acceptable(files)) {
      form.submit();
    }
  });
  form.addEventListener("submit", function (event) {
    if (!acceptable(input.files)) {
      event.preventDefault();
    }
  });
})();
