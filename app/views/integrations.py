"""Settings → Integrations (admin only) and the company lookup behind the magnifier (F3)."""

from flask import abort, current_app, flash, jsonify, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from ..commands import accounting as accounting_commands
from ..extensions import db
from ..integrations.errors import IntegrationError, RemoteNotFound
from ..models.integrations import ACCOUNTING_PROVIDERS
from ..security.access import requires
from ..security.rights import CREATE, EDIT, EDIT_ASSIGNED
from ..services import accounting_outbox, accounting_sync
from ..services import integration_connections as connections
from ..services.company_lookup import lookup_company
from ..services.outbox import requeue

STATE_KEY = "integration_oauth"


def _provider_or_404(provider: str) -> str:
    if provider not in ACCOUNTING_PROVIDERS:
        abort(404)
    return provider


def _redirect_uri(provider: str) -> str:
    public = current_app.config.get("PUBLIC_URL")
    path = url_for("IntegrationsView.callback", provider=provider)
    return f"{public.rstrip('/')}{path}" if public else url_for("IntegrationsView.callback", provider=provider,
                                                                 _external=True)


class IntegrationsView(BaseView):
    route_base = "/integrations"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("integrations/index.html", statuses=connections.status_list(),
                                    troubled={p: accounting_outbox.troubled(db.session, p)
                                              for p in ACCOUNTING_PROVIDERS},
                                    conflicts={p: accounting_sync.open_conflicts(p) for p in ACCOUNTING_PROVIDERS},
                                    form=FlaskForm(), title=_l("Integrations"))

    @expose("/<provider>/retry", methods=["POST"])
    @has_access
    def retry(self, provider):
        """*Retry*: one delayed or failed record (`message`), or all of the provider's."""
        _provider_or_404(provider)
        if not FlaskForm().validate_on_submit():
            abort(400)
        wanted = request.form.getlist("message")
        ids = [m.id for m in accounting_outbox.troubled(db.session, provider, limit=10_000)
               if not wanted or str(m.id) in wanted]
        count = requeue(ids)
        flash(_l("%(count)s changes will be sent again shortly.", count=count), "success")
        return redirect(url_for(".index"))

    @expose("/conflicts/<int:conflict_id>/resolve", methods=["POST"])
    @has_access
    def resolve(self, conflict_id):
        if not FlaskForm().validate_on_submit():
            abort(400)
        if not accounting_sync.resolve_conflict(conflict_id):
            abort(404)
        flash(_l("The conflict is marked as reviewed."), "success")
        return redirect(url_for(".index"))

    @expose("/<provider>/initial-sync", methods=["POST"])
    @has_access
    def initial_sync(self, provider):
        """Match by customer number, then offer to send ours and to create theirs."""
        _provider_or_404(provider)
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            plan = accounting_commands.initial_sync(provider, by=current_user)
        except IntegrationError as exc:
            flash(exc.message, "danger")
            return redirect(url_for(".index"))
        return self.render_template("integrations/initial_sync.html", plan=plan, provider=provider,
                                    label=connections.LABELS[provider], form=FlaskForm(),
                                    title=_l("Initial sync with %(provider)s", provider=connections.LABELS[provider]))

    @expose("/<provider>/send-ours", methods=["POST"])
    @has_access
    def send_ours(self, provider):
        _provider_or_404(provider)
        if not FlaskForm().validate_on_submit():
            abort(400)
        count = accounting_commands.push_only_here(provider, request.form.getlist("number"), by=current_user)
        flash(_l("%(count)s customers will be sent to %(provider)s.", count=count,
                 provider=connections.LABELS[provider]), "success")
        return redirect(url_for(".index"))

    @expose("/<provider>/create-theirs", methods=["POST"])
    @has_access
    def create_theirs(self, provider):
        _provider_or_404(provider)
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            created = accounting_commands.create_only_there(provider, request.form.getlist("number"), by=current_user)
        except (IntegrationError, ValueError) as exc:
            flash(str(exc), "danger")
        else:
            flash(_l("%(count)s customers were created from %(provider)s.", count=len(created),
                     provider=connections.LABELS[provider]), "success")
        return redirect(url_for(".index"))

    @expose("/<provider>/connect", methods=["POST"])
    @has_access
    def connect(self, provider):
        _provider_or_404(provider)
        if not FlaskForm().validate_on_submit():
            abort(400)
        service_account = provider == "fortnox" and request.form.get("service_account") == "y"
        state = connections.new_state()
        try:
            url = connections.authorization_url(provider, redirect_uri=_redirect_uri(provider), state=state,
                                                service_account=service_account)
        except IntegrationError as exc:
            flash(exc.message, "danger")
            return redirect(url_for(".index"))
        session[STATE_KEY] = {"provider": provider, "state": state, "service_account": service_account}
        return redirect(url)

    @expose("/<provider>/callback")
    @has_access
    def callback(self, provider):
        _provider_or_404(provider)
        expected = session.pop(STATE_KEY, None) or {}
        if request.args.get("error"):
            flash(_l("%(provider)s did not grant access: %(error)s", provider=connections.LABELS[provider],
                     error=request.args.get("error_description") or request.args["error"]), "danger")
            return redirect(url_for(".index"))
        if expected.get("provider") != provider or not expected.get("state") \
                or request.args.get("state") != expected["state"] or not request.args.get("code"):
            flash(_l("The answer from %(provider)s did not match this connection attempt; nothing was saved. "
                     "Start again.", provider=connections.LABELS[provider]), "danger")
            return redirect(url_for(".index"))
        try:
            connections.finish_authorization(provider, code=request.args["code"],
                                             redirect_uri=_redirect_uri(provider), by=current_user.username,
                                             service_account=expected.get("service_account", False))
        except IntegrationError as exc:
            flash(exc.message, "danger")
        else:
            flash(_l("%(provider)s is connected.", provider=connections.LABELS[provider]), "success")
        return redirect(url_for(".index"))

    @expose("/<provider>/disconnect", methods=["POST"])
    @has_access
    def disconnect(self, provider):
        _provider_or_404(provider)
        if not FlaskForm().validate_on_submit():
            abort(400)
        connections.disconnect(provider)
        flash(_l("%(provider)s is disconnected.", provider=connections.LABELS[provider]), "success")
        return redirect(url_for(".index"))

    @expose("/<provider>/test", methods=["POST"])
    @has_access
    def test(self, provider):
        _provider_or_404(provider)
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            connections.test_connection(provider)
        except IntegrationError as exc:
            flash(_l("The connection test failed: %(message)s", message=exc.message), "danger")
        else:
            flash(_l("The connection to %(provider)s works.", provider=connections.LABELS[provider]), "success")
        return redirect(url_for(".index"))

    @expose("/<provider>/options", methods=["POST"])
    @has_access
    def options(self, provider):
        _provider_or_404(provider)
        if not FlaskForm().validate_on_submit():
            abort(400)
        connections.save_options(provider, {key: request.form.get(key) == "y"
                                            for key in connections.OPTIONS[provider]})
        flash(_l("The settings were saved."), "success")
        return redirect(url_for(".index"))


class CompanyLookupView(BaseView):
    """JSON for the magnifier next to the organisation number; anyone who may create or edit a customer."""

    route_base = "/company-lookup"
    default_view = "lookup"

    @expose("/")
    @expose("/<path:number>")
    @requires(CREATE, EDIT, EDIT_ASSIGNED)
    def lookup(self, number: str = ""):
        try:
            info = lookup_company(number)
        except ValueError as exc:
            return jsonify(error=str(exc)), 400
        except IntegrationError as exc:
            return jsonify(error=exc.message), 404 if isinstance(exc, RemoteNotFound) else 502
        return jsonify(info.to_dict())
