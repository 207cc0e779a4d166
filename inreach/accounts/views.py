"""Log in, log out, change password, and the administrator's user pages."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from ..errors import DomainError
from ..fields import show_domain_error
from ..security import safe_next
from . import services, two_factor
from . import session as login_session
from .access import allow, public, signed_in
from .forms import ChangePasswordForm, CodeForm, LoginForm, NewUserForm
from .roles import ADMIN

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and check the password; then sign the person in, or send them to
    the second step (their code, or setting up their authenticator app)."""
    if g.user is not None:
        return redirect(url_for("site.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user, token = services.log_in(form.email.data, form.password.data,
                                          client=request.remote_addr)
        except DomainError as error:
            form.form_errors.append(error.message)
            status = 429 if error.code in services.THROTTLED_CODES else 200
            return render_template("accounts/login.html", form=form), status
        next_path = safe_next(request.args.get("next"))
        if token is not None:
            return _signed_in(user, token, next_path)
        step = services.second_step(user)
        if step not in SECOND_STEPS:  # its two-step login was reset a moment ago
            return _start_again()
        login_session.begin_pending(user.id, step, next_path)
        return redirect(url_for(SECOND_STEPS[step]))
    return render_template("accounts/login.html", form=form)


# The page for each second step ``services.second_step`` names.
SECOND_STEPS = {"code": "accounts.login_code", "enrol": "accounts.set_up"}


def _signed_in(user, token: str, next_path: str | None):
    """Start the login session's cookie and go where the person was heading."""
    login_session.begin(token)
    flash(f"You are logged in as {user.display_name}.")
    return redirect(next_path or url_for("site.home"))


def _start_again():
    """The part-way login is missing or timed out: back to the login form."""
    session.clear()
    flash(two_factor.START_AGAIN)
    return redirect(url_for("accounts.login"))


def _refused(form, error: DomainError, template: str, **values):
    """Show a refused code on its field (or at the top when the account or client must wait)."""
    show_domain_error(form, error)
    status = 429 if error.code in services.THROTTLED_CODES else 200
    return render_template(template, form=form, **values), status


@bp.route("/login/code", methods=["GET", "POST"])
@public
def login_code():
    """The second step of logging in: the code from the authenticator app, or a recovery code."""
    if g.user is not None:
        return redirect(url_for("site.home"))
    pending = login_session.pending("code")
    if pending is None:
        return _start_again()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            user, token = two_factor.verify_code(pending["user"], form.code.data,
                                                 client=request.remote_addr)
        except DomainError as error:
            if error.code == "start_again":
                return _start_again()
            return _refused(form, error, "accounts/code.html")
        return _signed_in(user, token, pending["next"])
    return render_template("accounts/code.html", form=form)


@bp.route("/login/set-up", methods=["GET", "POST"])
@public
def set_up():
    """Setting up the authenticator app, which comes before anything else for a user whose
    role needs two-step login; then their recovery codes, shown once."""
    if g.user is not None:
        return redirect(url_for("site.home"))
    pending = login_session.pending("enrol")
    user = two_factor.pending_user(pending["user"]) if pending else None
    if user is None:
        return _start_again()

    def log_in_with_codes(codes: list[str], token: str | None):
        """Start the login session, then show the recovery codes."""
        login_session.begin(token)
        g.user = two_factor.pending_user(user.id)
        return _recovery_codes(codes, pending["next"])

    return _enrolment(user, login_session.enrolment_secret(pending), log_in_with_codes,
                      logging_in=True)


@bp.route("/account/two-step-login", methods=["GET", "POST"])
@signed_in
def two_step_login():
    """A signed-in user's two-step login: whether it is on and how many recovery codes are
    left, or setting it up (a volunteer may choose to)."""
    user = g.user
    if user.totp_enrolled_at is not None:
        return render_template("accounts/two_step_login.html",
                               codes_left=two_factor.recovery_codes_left(user.id))

    def show_codes(codes: list[str], token: str | None):
        """Forget the secret the page offered, then show the recovery codes."""
        session.pop("secret", None)
        return _recovery_codes(codes, None)

    return _enrolment(user, login_session.enrolment_secret(session), show_codes,
                      logging_in=False)


def _enrolment(user, secret: str, done, logging_in: bool):
    """The set-up page both routes share: the QR code and key of ``secret``, and the code that
    confirms the app has it. Once the code is right, ``done(codes, token)`` makes the answer
    (the token only when this is part of logging in); a wrong code is shown on its field."""
    page = two_factor.set_up_page(secret, user.email)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes, token = two_factor.enrol(user.id, secret, form.code.data,
                                            client=request.remote_addr, logging_in=logging_in)
        except DomainError as error:
            if error.code == "start_again":
                return _start_again()
            return _refused(form, error, "accounts/set_up.html", page=page,
                            logging_in=logging_in)
        return done(codes, token)
    return render_template("accounts/set_up.html", form=form, page=page, logging_in=logging_in)


def _recovery_codes(codes: list[str], next_path: str | None):
    """The new recovery codes, shown once, with the way on."""
    return render_template("accounts/recovery_codes.html", codes=codes,
                           next_path=next_path or url_for("site.home"))


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    """End this login session (a POST, so a link or image cannot log anyone out)."""
    services.log_out(login_session.token(), g.user.id)
    session.clear()
    flash("You have logged out.")
    # the device keeps nothing after logout: cached capture pages, the outbox, the service worker
    return redirect(url_for("accounts.login")), {"Clear-Site-Data": '"cache", "storage"'}


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    """Let a user change their own password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(g.user, form.current.data, form.password.data,
                                     keep_token=login_session.token())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Your password has been changed. Your other devices have been logged out.")
            return redirect(url_for("site.home"))
    return render_template("accounts/password.html", form=form)


@bp.route("/users")
@allow(ADMIN)
def users():
    """List every user with their role and whether they can log in."""
    return render_template("accounts/users.html", users=services.all_users())


@bp.route("/users/new", methods=["GET", "POST"])
@allow(ADMIN)
def new_user():
    """Add a user."""
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            services.create_user(form.email.data, form.display_name.data, form.role.data,
                                 form.password.data, actor_id=g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("User added. Give them their first password in person or by phone.")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/new_user.html", form=form)


@bp.route("/users/<int:user_id>/<any(enable, disable):change>", methods=["POST"])
@allow(ADMIN)
def set_active(user_id: int, change: str):
    """Enable or disable a user."""
    try:
        user = services.set_active(user_id, change == "enable", actor_id=g.user.id)
    except DomainError as error:
        if error.code == "not_found":
            abort(404)
        flash(error.message, "error")
    else:
        flash(f"{user.display_name} is now {'enabled' if user.active else 'disabled'}.")
    return redirect(url_for("accounts.users"))


@bp.route("/users/<int:user_id>/reset-two-step-login", methods=["POST"])
@allow(ADMIN)
def reset_two_factor(user_id: int):
    """Turn off a user's two-step login (they lost their phone), logging them out everywhere."""
    try:
        user = two_factor.reset(user_id, actor_id=g.user.id)
    except DomainError as error:
        if error.code == "not_found":
            abort(404)
        flash(error.message, "error")
    else:
        flash(f"Two-step login for {user.display_name} has been reset and they have been logged "
              "out. They set it up again when they next log in.")
    return redirect(url_for("accounts.users"))
