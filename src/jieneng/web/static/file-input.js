// A file input in the page's language: the browser draws its own button in the
// browser's language ("Choose File / No file chosen" on an English Chromium), so
// each input[type=file] is hidden behind a button and a file name read from the
// <body data-file-choose / data-file-none> texts (message catalogue, common.file_*).
// The input itself stays in the form (and for tests' set_input_files).
document.addEventListener("DOMContentLoaded", function () {
  var body = document.body;
  var choose = body.getAttribute("data-file-choose");
  var none = body.getAttribute("data-file-none");
  if (!choose) { return; }
  document.querySelectorAll("input[type=file]").forEach(function (input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "file-choose";
    button.textContent = choose;
    var name = document.createElement("span");
    name.className = "file-name";
    name.setAttribute("aria-live", "polite");
    name.textContent = none;
    input.classList.add("file-hidden");
    input.insertAdjacentElement("afterend", name);
    input.insertAdjacentElement("afterend", button);
    button.addEventListener("click", function (event) {
      event.preventDefault();
      input.click();
    });
    input.addEventListener("change", function () {
      var files = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
      name.textContent = files.length ? files.join("，") : none;
    });
  });
});
