/* F3: a magnifier next to every input carrying data-company-lookup (the URL to ask, the number is
   appended). It fills name and invoice address for the user to check; a failure says why and never
   stops the form from being saved. */
(function ($) {
  "use strict";
  var FIELDS = { name: "name", street: "invoice_street", postcode: "invoice_postcode", city: "invoice_city" };

  $("input[data-company-lookup]").each(function () {
    var input = $(this);
    var form = input.closest("form");
    var texts = { button: input.data("lookup-button"), empty: input.data("lookup-empty"),
      searching: input.data("lookup-searching"), filled: input.data("lookup-filled"), failed: input.data("lookup-failed") };
    var button = $('<button type="button" class="btn btn-default company-lookup-button"><i class="fa fa-search"></i></button>')
      .attr("title", texts.button || "").attr("aria-label", texts.button || "");
    var message = $('<span class="help-block company-lookup-message" role="status"></span>');
    input.wrap('<div class="input-group"></div>');
    input.after($('<span class="input-group-btn"></span>').append(button));
    input.closest(".input-group").after(message);

    var show = function (text, kind) {
      message.text(text || "").removeClass("text-danger text-success").addClass(kind ? "text-" + kind : "");
    };

    button.on("click", function () {
      var number = $.trim(input.val());
      if (!number) { show(texts.empty, "danger"); return; }
      button.prop("disabled", true);
      show(texts.searching);
      $.ajax({ url: input.data("company-lookup") + encodeURIComponent(number), dataType: "json", timeout: 20000 })
        .done(function (company) {
          $.each(FIELDS, function (key, field) {
            if (company[key]) { form.find("[name=" + field + "]").val(key === "postcode" ? company[key].replace(/^(\d{3})(\d{2})$/, "$1 $2") : company[key]).trigger("change"); }
          });
          show(texts.filled, "success");
        })
        .fail(function (xhr) {
          var error = xhr.responseJSON && xhr.responseJSON.error;
          show(error || texts.failed, "danger");
        })
        .always(function () { button.prop("disabled", false); });
    });
  });
})(jQuery);
