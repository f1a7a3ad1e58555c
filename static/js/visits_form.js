// Visit form: disable the button after the first tap so a slow phone network does not tempt a
// second one. The server stays the guard (the hidden idempotency key makes a repeat harmless).
(function () {
  var form = document.querySelector('[data-testid="visit-form"]');
  if (!form) return;
  form.addEventListener('submit', function () {
    var button = form.querySelector('[type="submit"]');
    if (button) { button.disabled = true; button.textContent = '正在保存…'; }
  });
})();
