"""Log in, log out, change password, and the administrator's user pages."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from ..errors import DomainError
from ..fields import show_domain_error
from ..security import safe_next
from . import services
from . import session as login_session
from .access import allow, public, signed_in
from .forms import ChangePasswordForm, LoginForm, NewUserForm
from .roles import ADMIN

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and sign the person in."""
    if g.user is not None:
        return redirect(url_for("site.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user, token = services.log_in(form.email.data, form.password.data)
        except DomainError as error:
            form.form_errors.append(error.message)
            status = 429 if error.code == "throttled" else 200
            return render_template("accounts/login.html", form=form), status
        login_session.begin(token)
        flash(f"You are logged in as {user.display_name}.")
        return redirect(safe_next(request.args.get("next")) or url_for("site.home"))
    return render_template("accounts/login.html", form=form)


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
