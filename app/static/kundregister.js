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
  // Its search box is select2's own input: give it the field's label (re-created on every change).
  if ($.fn.select2) {
    $(".select2-letters").each(function () {
      var select = $(this);
      var label = $("label[for='" + this.id + "']").text().trim();
      var name = function () {
        select.next(".select2").find(".select2-search__field").attr("aria-label", label);
      };
      select.select2({ width: "100%" }).on("change select2:open select2:close", name);
      name();
    });
  }

  // After a refused submit, focus the first field in error (not the page), so a keyboard or
  // screen-reader user lands where the message is.
  var firstError = $(".has-error").first().find("input, select, textarea").filter(":visible").first();
  if (firstError.length) {
    firstError.trigger("focus");
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
