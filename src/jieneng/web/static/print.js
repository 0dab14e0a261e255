// The 打印 button of the report pages (pages/_print_button.html): window.print()
// from a script file, not an inline handler (the Content-Security-Policy allows
// 'self' scripts only). print.css hides the button on paper.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-action='print']");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
