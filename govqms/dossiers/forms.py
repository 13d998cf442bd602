"""Forms of the dossier screens: desk reception and the lifecycle actions on a dossier page."""

from __future__ import annotations

import re

from django import forms
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

from .models import Channel, EventKind

PHONE_RE = re.compile(r"^\+?[0-9][0-9 .\-]{6,18}[0-9]$")
ID_RE = re.compile(r"^[0-9]{9,13}$")


class ReceptionForm(forms.Form):
    """Minimal personal data (Law 91/2025/QH15): each field says why it is asked."""

    procedure = forms.ChoiceField(
        label=_("Thủ tục hành chính"),
        help_text=_("Chỉ hiện các thủ tục có quy trình nội bộ đang áp dụng tại đơn vị của bạn."),
    )
    receiving_unit = forms.ChoiceField(label=_("Nơi tiếp nhận"), required=False)
    channel = forms.ChoiceField(
        label=_("Kênh nộp"),
        choices=Channel.choices,
        initial=Channel.COUNTER,
        widget=forms.RadioSelect,
    )
    applicant_name = forms.CharField(
        label=_("Họ và tên người nộp"),
        max_length=200,
        help_text=_("Ghi trên giấy tiếp nhận để trả kết quả đúng người."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    applicant_phone = forms.CharField(
        label=_("Số điện thoại"),
        max_length=20,
        required=False,
        help_text=_("Để báo khi có kết quả hoặc khi cần bổ sung hồ sơ. Không bắt buộc."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    applicant_email = forms.CharField(
        label=_("Thư điện tử"),
        max_length=254,
        required=False,
        validators=[EmailValidator(message=_("Địa chỉ thư điện tử không hợp lệ."))],
        help_text=_("Chỉ khi người nộp muốn nhận thông báo qua thư điện tử. Không bắt buộc."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    applicant_id_number = forms.CharField(
        label=_("Số định danh cá nhân"),
        max_length=20,
        required=False,
        help_text=_(
            "Số căn cước (12 số) hoặc mã số doanh nghiệp, chỉ khi thủ tục cần đối chiếu với cơ sở "
            "dữ liệu quốc gia. Không bắt buộc."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, versions=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", _("— Chọn thủ tục —"))] + [
            (v.procedure.code, f"{v.procedure.name} ({v.procedure.code})") for v in versions
        ]
        self.fields["receiving_unit"].choices = [(u.code, u.name) for u in units]
        if len(units) == 1:
            self.fields["receiving_unit"].widget = forms.HiddenInput()
            self.fields["receiving_unit"].initial = units[0].code

    def clean_applicant_name(self):
        name = " ".join(self.cleaned_data["applicant_name"].split())
        if len(name) < 2:
            raise forms.ValidationError(_("Nhập họ và tên người nộp."))
        return name

    def clean_applicant_phone(self):
        phone = self.cleaned_data["applicant_phone"].strip()
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError(_("Số điện thoại chỉ gồm chữ số (có thể có dấu + ở đầu)."))
        return re.sub(r"[ .\-]", "", phone)

    def clean_applicant_id_number(self):
        number = self.cleaned_data["applicant_id_number"].replace(" ", "")
        if number and not ID_RE.match(number):
            raise forms.ValidationError(_("Số định danh gồm 9 đến 13 chữ số."))
        return number


# --- Lifecycle actions ------------------------------------------------------------------------

#: Event kinds the dossier page offers, in display order, with the button text.
ACTION_LABELS = {
    EventKind.STEP_STARTED: _("Bắt đầu bước"),
    EventKind.STEP_FINISHED: _("Hoàn thành bước"),
    EventKind.SUPPLEMENT_REQUESTED: _("Yêu cầu bổ sung hồ sơ"),
    EventKind.SUPPLEMENT_PROVIDED: _("Đã nhận hồ sơ bổ sung"),
    EventKind.FINANCIAL_REQUESTED: _("Yêu cầu thực hiện nghĩa vụ tài chính"),
    EventKind.FINANCIAL_FULFILLED: _("Đã thực hiện nghĩa vụ tài chính"),
    EventKind.REAPPOINTED: _("Xin lỗi và hẹn lại ngày trả"),
    EventKind.FINISHED: _("Giải quyết xong"),
    EventKind.RETURNED: _("Đã trả kết quả"),
    EventKind.REFUSED: _("Từ chối tiếp nhận"),
    EventKind.WITHDRAWN: _("Công dân rút hồ sơ"),
    EventKind.STOPPED: _("Dừng xử lý"),
}
DANGER_ACTIONS = frozenset({EventKind.REFUSED, EventKind.WITHDRAWN, EventKind.STOPPED})
REASON_REQUIRED = frozenset(
    {
        EventKind.SUPPLEMENT_REQUESTED,
        EventKind.REFUSED,
        EventKind.WITHDRAWN,
        EventKind.STOPPED,
        EventKind.REAPPOINTED,
    }
)
REASON_LABELS = {
    EventKind.SUPPLEMENT_REQUESTED: _(
        "Nội dung hướng dẫn bổ sung, hoàn thiện (đầy đủ, một lần bằng văn bản)"
    ),
    EventKind.REFUSED: _("Lý do từ chối"),
    EventKind.WITHDRAWN: _("Lý do rút hồ sơ"),
    EventKind.STOPPED: _("Lý do dừng xử lý"),
    EventKind.REAPPOINTED: _("Lý do chậm trễ (ghi trên phiếu xin lỗi)"),
    EventKind.FINANCIAL_REQUESTED: _("Khoản phải nộp"),
}


class EventForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k.value, k.label) for k in ACTION_LABELS])
    step = forms.ChoiceField(label=_("Bước"), required=False)
    reason = forms.CharField(
        label=_("Ghi chú"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    new_due_date = forms.DateField(
        label=_("Ngày hẹn trả mới"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Hẹn đến cuối giờ làm việc của ngày này."),
    )

    def __init__(self, *args, kind: str = "", steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind_value = kind or (self.data.get("kind") if self.is_bound else "")
        self.fields["kind"].widget = forms.HiddenInput()
        self.fields["kind"].initial = self.kind_value
        self.fields["step"].choices = [(code, name) for code, name in steps]
        if self.kind_value in REASON_LABELS:
            self.fields["reason"].label = REASON_LABELS[self.kind_value]
        if self.kind_value in REASON_REQUIRED:
            self.fields["reason"].required = True
        if self.kind_value == EventKind.REAPPOINTED:
            self.fields["new_due_date"].required = True

    def clean(self):
        data = super().clean()
        if self.kind_value in (EventKind.STEP_STARTED, EventKind.STEP_FINISHED) and not data.get(
            "step"
        ):
            self.add_error("step", _("Chọn bước."))
        return data

    @property
    def label(self):
        return ACTION_LABELS.get(self.kind_value, "")

    @property
    def danger(self) -> bool:
        return self.kind_value in DANGER_ACTIONS

    @property
    def shows_step(self) -> bool:
        return self.kind_value in (EventKind.STEP_STARTED, EventKind.STEP_FINISHED)

    @property
    def shows_reason(self) -> bool:
        return self.kind_value not in (
            EventKind.STEP_STARTED,
            EventKind.STEP_FINISHED,
            EventKind.FINISHED,
            EventKind.RETURNED,
        )

    @property
    def shows_new_date(self) -> bool:
        return self.kind_value == EventKind.REAPPOINTED
