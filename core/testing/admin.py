"""Post an admin form the way a browser would: every field as the page rendered it, then the changes."""

from typing import Any

from django.db.models.fields.files import FieldFile
from django.forms import MultiWidget


def _rendered_values(form: Any) -> dict[str, Any]:
    """Every enabled field of `form` as the browser would post it (prefixed names)."""
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        key = form.add_prefix(name)
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):
            parts = field.widget.decompress(value)
            for index, part in enumerate(parts):
                data[f"{key}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, list | tuple):
            data[key] = [str(item) for item in value]
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif value is not None and not isinstance(value, FieldFile):
            data[key] = str(value)
    return data


def admin_form_data(response: Any, **changes: Any) -> dict[str, Any]:
    """The POST body of the admin add/change page in `response` (a test client response), with
    `changes` applied (field name -> value, `name_0`/`name_1` for split date-times; an inline's
    fields by their prefixed names, e.g. `visit_types-0-duration_minutes`)."""
    data = _rendered_values(response.context["adminform"].form)
    for formset in response.context.get("inline_admin_formsets", []):
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.formset.initial_forms:
            data.update(_rendered_values(form))
    data.update(changes)
    return data
