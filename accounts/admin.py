from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from accounts.models import ApiKey, Membership, Organization, User
from accounts.services import api_key_create, api_key_revoke


class EmailUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = ("email",)


class HasCreditLimitFilter(admin.SimpleListFilter):
    title = "has limit"
    parameter_name = "has_limit"

    def lookups(self, request, model_admin):
        return (("yes", "Limited"), ("no", "Unlimited"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(credit_balance__isnull=False)
        if self.value() == "no":
            return queryset.filter(credit_balance__isnull=True)
        return queryset


class CreditBalanceAdminMixin:
    """Saves a change form without writing back a balance the staff member did not edit.

    Runs debit the balance while the page is open; saving the value that was loaded would undo those debits. The
    form carries the balance it was rendered with, so "not edited" means unchanged since the page was loaded, not
    equal to what the database holds now.
    """

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "credit_balance":
            formfield.show_hidden_initial = True
        return formfield

    def save_model(self, request, obj, form, change):
        if change and "credit_balance" not in form.changed_data:
            fields = [f.name for f in obj._meta.concrete_fields if not f.primary_key and f.name != "credit_balance"]
            obj.save(update_fields=fields)
            return
        super().save_model(request, obj, form, change)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(User)
class UserAdmin(CreditBalanceAdminMixin, BaseUserAdmin):
    add_form = EmailUserCreationForm
    form = EmailUserChangeForm
    ordering = ("email",)
    list_display = ("email", "organization", "credit_balance", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", HasCreditLimitFilter)
    search_fields = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Credits",
            {
                "fields": ("credit_balance",),
                "description": "Used only while the user has no organization: members spend their organization's.",
            },
        ),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("membership__org")

    @admin.display(description="Organization")
    def organization(self, user):
        membership = getattr(user, "membership", None)
        return f"{membership.org} ({membership.role})" if membership else "—"


@admin.register(Organization)
class OrganizationAdmin(CreditBalanceAdminMixin, admin.ModelAdmin):
    list_display = ("name", "credit_balance", "created_at")
    list_filter = (HasCreditLimitFilter,)
    search_fields = ("name",)
    fields = ("name", "credit_balance")
    inlines = [MembershipInline]


class ApiKeyAddForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("user", "name", "expires_at")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__email")
    autocomplete_fields = ("user",)
    readonly_fields = ("user", "prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    actions = ["revoke_keys"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
            kwargs["fields"] = ApiKeyAddForm.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        return ApiKeyAddForm.Meta.fields if obj is None else self.fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw_key = api_key_create(
            user=form.cleaned_data["user"], name=form.cleaned_data["name"], expires_at=form.cleaned_data["expires_at"]
        )
        obj.pk = key.pk
        obj.refresh_from_db()
        messages.warning(request, f"New API key (shown only this once, copy it now): {raw_key}")

    @admin.action(description="Revoke selected API keys")
    def revoke_keys(self, request, queryset):
        for key in queryset:
            api_key_revoke(key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)
