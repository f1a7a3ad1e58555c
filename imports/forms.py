from __future__ import annotations

from django import forms
from django.conf import settings

from .models import ImportBatch
from .reading import FileRejected, check_size
from .registry import all_kinds


def size_checked(upload):
    """An uploaded file, refused from its size alone (over IMPORT_MAX_FILE_MB, or empty) before
    anything reads it: the portal's upload form and the admin's import form."""
    try:
        check_size(upload.size)
    except FileRejected as exc:
        raise forms.ValidationError(str(exc)) from None
    return upload

class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="导入类型")
    file = forms.FileField(label="文件", help_text="")
    mode = forms.ChoiceField(
        label="遇到错误行时", choices=ImportBatch.Mode.choices, initial=ImportBatch.Mode.SKIP,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.key, k.label) for k in all_kinds() if k.portal and user is not None and k.allowed_for(user)]
        self.fields["kind"].widget.attrs["class"] = "form-select"
        self.fields["file"].widget.attrs.update({"class": "form-control", "accept": ".xlsx,.csv,.txt"})
        self.fields["file"].help_text = (
            f".xlsx 或 .csv（UTF-8 / GB18030，或 Excel 的「Unicode 文本」），不超过 {settings.IMPORT_MAX_FILE_MB:g} MB、{settings.IMPORT_MAX_ROWS:,} 行"
        )

    def clean_file(self):
        return size_checked(self.cleaned_data["file"])
