"""Plain-language explanations of the indicators, for the public (/cong-khai/chi-so/).

The name and the source come from the registry (`kpi.indicators`); the sentence below is what a
citizen reads. Keep each one short, concrete, and say which way is better.
"""

from django.utils.translation import gettext_lazy as _

PLAIN = {
    "SHARE_FINISHED_ON_TIME": _(
        "Trong các hồ sơ đã có kết quả trong kỳ, bao nhiêu phần trăm được giải quyết xong trước "
        "hoặc đúng ngày hẹn ghi trên giấy tiếp nhận. Càng cao càng tốt."
    ),
    "SHARE_FINISHED_LATE": _(
        "Phần trăm hồ sơ có kết quả sau ngày hẹn. Càng thấp càng tốt. Khi không kịp hẹn, cơ quan "
        "phải gửi phiếu xin lỗi và hẹn lại ngày trả trước khi đến hạn."
    ),
    "SHARE_ON_TIME_766": _(
        "Giống tỷ lệ đúng hạn, nhưng tính cả các hồ sơ đang giải quyết mà chưa quá hạn. Đây là "
        "cách tính của Bộ chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg)."
    ),
    "AVG_PROCESSING_DAYS": _(
        "Số ngày làm việc trung bình từ lúc cơ quan tiếp nhận hồ sơ đến lúc có kết quả. Không tính "
        "thứ Bảy, Chủ nhật, ngày nghỉ lễ, Tết và thời gian chờ người nộp bổ sung giấy tờ hoặc nộp "
        "phí. Càng ngắn càng tốt."
    ),
    "MEDIAN_PROCESSING_DAYS": _(
        "Một nửa số hồ sơ được giải quyết nhanh hơn con số này, một nửa chậm hơn. Ít bị ảnh hưởng "
        "bởi vài hồ sơ kéo dài bất thường."
    ),
    "OPEN_WITHIN_LIMIT": _("Số hồ sơ đang được giải quyết và còn trong thời hạn."),
    "OPEN_DUE_SOON": _(
        "Số hồ sơ đang giải quyết đã gần đến ngày hẹn trả: cơ quan cần ưu tiên xử lý."
    ),
    "OPEN_OVERDUE": _("Số hồ sơ đã quá ngày hẹn trả mà vẫn chưa có kết quả. Càng ít càng tốt."),
    "BACKLOG": _("Tổng số hồ sơ đang giải quyết, chưa có kết quả."),
    "SHARE_ONLINE": _(
        "Phần trăm hồ sơ được nộp qua mạng (Cổng Dịch vụ công) thay vì nộp trực tiếp tại bộ phận "
        "Một cửa. Quyết định 766/QĐ-TTg đặt mốc 50%."
    ),
    "SHARE_DOSSIERS_DIGITIZED": _(
        "Phần trăm hồ sơ có giấy tờ được cơ quan số hoá (quét, lưu điện tử) để dùng lại, người "
        "dân không phải nộp lại lần sau. Mốc 80%."
    ),
    "SHARE_RESULTS_DIGITIZED": _(
        "Phần trăm hồ sơ có kết quả (giấy phép, giấy chứng nhận…) được cấp cả bản điện tử có giá "
        "trị pháp lý."
    ),
    "SHARE_FEEDBACK_ON_TIME": _(
        "Phần trăm phản ánh, kiến nghị của người dân, doanh nghiệp được cơ quan trả lời đúng hạn."
    ),
    "SATISFACTION": _(
        "Phần trăm ý kiến đánh giá hài lòng hoặc rất hài lòng về việc giải quyết thủ tục."
    ),
}

DIRECTION = {
    "higher": _("Càng cao càng tốt"),
    "lower": _("Càng thấp càng tốt"),
    "neutral": _("Số liệu để tham khảo"),
}
