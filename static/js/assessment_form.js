/* Ability assessment form: running sub-totals per indicator, total and preliminary level.
 * The server computes the stored result (including the level adjustments); this is only a guide
 * for the assessors while they fill in the form. No dependencies. */
(function () {
  "use strict";

  function parsePairs(text) {
    return (text || "").split(",").filter(Boolean).map(function (pair) {
      var i = pair.indexOf(":");
      return [pair.slice(0, i), pair.slice(i + 1)];
    });
  }

  function init(form) {
    var bands = parsePairs(form.dataset.bands).map(function (p) { return [Number(p[0]), Number(p[1])]; });
    var labels = {};
    parsePairs(form.dataset.levelLabels).forEach(function (p) { labels[p[0]] = p[1]; });
    var items = form.querySelectorAll("fieldset[data-item]");

    function update() {
      var sums = {};
      var total = 0;
      var answered = 0;
      form.querySelectorAll("section[data-indicator]").forEach(function (section) {
        var code = section.dataset.indicator;
        sums[code] = 0;
        section.querySelectorAll("fieldset[data-item]").forEach(function (fieldset) {
          var checked = fieldset.querySelector("input[type=radio]:checked");
          fieldset.classList.toggle("answered", !!checked);
          if (checked) {
            sums[code] += Number(checked.value);
            answered += 1;
          }
        });
        total += sums[code];
      });
      Object.keys(sums).forEach(function (code) {
        form.querySelectorAll('[data-subtotal="' + code + '"]').forEach(function (el) {
          el.textContent = String(sums[code]);
        });
      });
      form.querySelectorAll("[data-total]").forEach(function (el) { el.textContent = String(total); });
      form.querySelectorAll("[data-answered]").forEach(function (el) { el.textContent = String(answered); });
      var level = "—";
      if (answered === items.length) {
        for (var i = 0; i < bands.length; i++) {
          if (total >= bands[i][0]) { level = labels[bands[i][1]] || String(bands[i][1]); break; }
        }
      }
      form.querySelectorAll("[data-level]").forEach(function (el) { el.textContent = level; });
    }

    form.addEventListener("change", update);
    update();
  }

  document.querySelectorAll("form#assessment-form").forEach(init);
  document.querySelectorAll("[data-action=print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
