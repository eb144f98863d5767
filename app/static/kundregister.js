/* Kundregister: small progressive enhancements; every form also works without them. */
(function ($) {
  "use strict";

  // F2: the identity field is labelled organisationsnummer or personnummer by type.
  var form = $("#customer-form");
  if (form.length) {
    var labels = form.data("identity-labels") || {};
    var relabel = function () {
      var type = form.find("input[name=customer_type]:checked").val() || "company";
      $("label[for=identity_number]").text(labels[type]);
    };
    form.on("change", "input[name=customer_type]", relabel);
  }

  // F5: the discount-letter picker lists every letter when it gets focus.
  if ($.fn.select2) {
    $(".select2-letters").select2({ width: "100%" });
  }

  // Confirm destructive buttons.
  $(document).on("submit", "form[data-confirm]", function (event) {
    if (!window.confirm($(this).data("confirm"))) {
      event.preventDefault();
    }
  });
})(jQuery);

/* Bulk selection on the customer list: "select all on this page". */
(function ($) {
  "use strict";
  $(document).on("change", "#select-page", function () {
    $(".row-select").prop("checked", this.checked);
  });
})(jQuery);
