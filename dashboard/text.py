"""UI text in English and Vietnamese: one catalogue, looked up by key, chosen per user.

Figures are never in here; only the words around them. A key missing from a language falls
back to English, so a new screen works before it is translated.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "vi")
LANGUAGE_NAMES = {"en": "English", "vi": "Tiếng Việt"}
"""Each language by its own name, as a language menu shows it."""
DEFAULT_LANGUAGE = "en"

CATALOGUE: dict[str, dict[str, str]] = {
    # Pages
    "page.glance": {"en": "At a glance", "vi": "Tổng quan"},
    "page.sales": {"en": "Sales", "vi": "Doanh số"},
    "page.pnl": {"en": "P&L", "vi": "Lãi lỗ"},
    "page.imports": {"en": "Imports", "vi": "Nhập dữ liệu"},
    "page.ops": {"en": "Ops", "vi": "Vận hành"},
    "page.profile": {"en": "Profile", "vi": "Hồ sơ"},
    "nav.title": {"en": "Sections", "vi": "Mục"},
    "nav.denied": {
        "en": "Your role ({role}) cannot open {page}. Ask an administrator if you need it.",
        "vi": "Vai trò của bạn ({role}) không mở được {page}. Hãy hỏi quản trị viên nếu bạn cần.",
    },
    # Roles
    "role.viewer": {"en": "Viewer", "vi": "Người xem"},
    "role.analyst": {"en": "Analyst", "vi": "Phân tích viên"},
    "role.admin": {"en": "Admin", "vi": "Quản trị"},
    # Filters
    "filter.period": {"en": "Period", "vi": "Kỳ"},
    "filter.from": {"en": "From", "vi": "Từ ngày"},
    "filter.to": {"en": "To", "vi": "Đến ngày"},
    "filter.territory": {"en": "Territory", "vi": "Khu vực"},
    "filter.channel": {"en": "Channel", "vi": "Kênh"},
    "filter.category": {"en": "Category", "vi": "Danh mục"},
    "filter.all_territories": {"en": "All territories", "vi": "Tất cả khu vực"},
    "filter.all_channels": {"en": "All channels", "vi": "Tất cả kênh"},
    "filter.all_categories": {"en": "All categories", "vi": "Tất cả danh mục"},
    "period.mtd": {"en": "Month to date", "vi": "Từ đầu tháng"},
    "period.qtd": {"en": "Quarter to date", "vi": "Từ đầu quý"},
    "period.ytd": {"en": "Year to date", "vi": "Từ đầu năm"},
    "period.last_30_days": {"en": "Last 30 days", "vi": "30 ngày qua"},
    "period.custom": {"en": "Custom range", "vi": "Tùy chọn"},
    "period.range": {"en": "{start} to {end}", "vi": "{start} đến {end}"},
    # Status
    "status.on_track": {"en": "On track", "vi": "Đúng hướng"},
    "status.watch": {"en": "Watch", "vi": "Cần theo dõi"},
    "status.off_track": {"en": "Off track", "vi": "Lệch mục tiêu"},
    "status.no_target": {"en": "No target", "vi": "Chưa có mục tiêu"},
    "status.no_data": {"en": "No data", "vi": "Chưa có dữ liệu"},
    "health.off_target": {
        "en": "{status}: {count} of {total} KPIs off target: {details}",
        "vi": "{status}: {count} trên {total} KPI chưa đạt mục tiêu: {details}",
    },
    "health.all_on_target": {
        "en": "{status}: all {count} KPIs with a target are on target",
        "vi": "{status}: cả {count} KPI có mục tiêu đều đạt",
    },
    "health.no_data": {
        "en": "{status}: no sales in this period yet. Import data to see how the business is doing.",
        "vi": "{status}: chưa có doanh số trong kỳ này. Hãy nhập dữ liệu để xem tình hình kinh doanh.",
    },
    "health.no_target": {
        "en": "{status}: no targets cover this period. Import targets to score the KPIs.",
        "vi": "{status}: chưa có mục tiêu cho kỳ này. Hãy nhập mục tiêu để chấm điểm KPI.",
    },
    # KPI cards
    "metric.net_revenue": {"en": "Net revenue", "vi": "Doanh thu thuần"},
    "metric.gross_margin": {"en": "Gross margin", "vi": "Lợi nhuận gộp"},
    "metric.operating_profit": {"en": "Operating profit", "vi": "Lợi nhuận hoạt động"},
    "metric.gross_margin_pct": {"en": "Gross margin %", "vi": "Biên lợi nhuận gộp"},
    "metric.orders": {"en": "Orders", "vi": "Đơn hàng"},
    "metric.aov": {"en": "Average order value", "vi": "Giá trị đơn trung bình"},
    "metric.units": {"en": "Units", "vi": "Số lượng"},
    "metric.opex": {"en": "Operating expenses", "vi": "Chi phí hoạt động"},
    "card.target": {"en": "Target {value}", "vi": "Mục tiêu {value}"},
    "card.no_target": {"en": "No target", "vi": "Chưa có mục tiêu"},
    "card.change": {"en": "{change} vs prior period", "vi": "{change} so với kỳ trước"},
    "card.no_prior": {"en": "No prior period data", "vi": "Chưa có dữ liệu kỳ trước"},
    "coverage.months": {
        "en": "target covers {covered} of {total} months",
        "vi": "mục tiêu áp dụng cho {covered}/{total} tháng",
    },
    "coverage.territories": {
        "en": "target covers {covered} of {total} territories",
        "vi": "mục tiêu áp dụng cho {covered}/{total} khu vực",
    },
    "coverage.both": {
        "en": "target covers {months} of {months_total} months and {territories} of {territories_total} territories",
        "vi": "mục tiêu áp dụng cho {months}/{months_total} tháng và {territories}/{territories_total} khu vực",
    },
    "coverage.none": {"en": "no target set for this period", "vi": "chưa đặt mục tiêu cho kỳ này"},
    "coverage.none_territory": {
        "en": "no {metric} target for {territory}",
        "vi": "chưa có mục tiêu {metric} cho {territory}",
    },
    # Columns
    "col.key": {"en": "Name", "vi": "Tên"},
    "col.category": {"en": "Category", "vi": "Danh mục"},
    "col.net_revenue": {"en": "Net revenue", "vi": "Doanh thu thuần"},
    "col.cogs": {"en": "COGS", "vi": "Giá vốn"},
    "col.gross_margin": {"en": "Gross margin", "vi": "Lợi nhuận gộp"},
    "col.units": {"en": "Units", "vi": "Số lượng"},
    "col.orders": {"en": "Orders", "vi": "Đơn hàng"},
    "col.opex": {"en": "Opex", "vi": "Chi phí HĐ"},
    "col.operating_profit": {"en": "Operating profit", "vi": "LN hoạt động"},
    "col.line": {"en": "Line", "vi": "Khoản mục"},
    "col.actual": {"en": "Actual", "vi": "Thực tế"},
    "col.budget": {"en": "Budget", "vi": "Ngân sách"},
    "col.variance": {"en": "Variance", "vi": "Chênh lệch"},
    "col.variance_pct": {"en": "Variance %", "vi": "Chênh lệch %"},
    "col.verdict": {"en": "Verdict", "vi": "Đánh giá"},
    "col.coverage": {"en": "Coverage", "vi": "Phạm vi"},
    "col.amount": {"en": "Amount", "vi": "Số tiền"},
    "col.row": {"en": "Row", "vi": "Dòng"},
    "col.field": {"en": "Field", "vi": "Trường"},
    "col.value": {"en": "Value", "vi": "Giá trị"},
    "col.reason": {"en": "Reason", "vi": "Lý do"},
    "col.run_id": {"en": "Run", "vi": "Lần nhập"},
    "col.kind": {"en": "Kind", "vi": "Loại"},
    "col.source": {"en": "Source", "vi": "Nguồn"},
    "col.filename": {"en": "File", "vi": "Tệp"},
    "col.status": {"en": "Status", "vi": "Trạng thái"},
    "col.rows_read": {"en": "Rows read", "vi": "Dòng đã đọc"},
    "col.inserted": {"en": "Inserted", "vi": "Thêm mới"},
    "col.updated": {"en": "Updated", "vi": "Cập nhật"},
    "col.unchanged": {"en": "Unchanged", "vi": "Không đổi"},
    "col.rejected": {"en": "Rejected", "vi": "Bị từ chối"},
    "col.username": {"en": "Username", "vi": "Tên đăng nhập"},
    "col.name": {"en": "Name", "vi": "Tên"},
    "col.role": {"en": "Role", "vi": "Vai trò"},
    "col.territories": {"en": "Territories", "vi": "Khu vực"},
    "budget.over": {"en": "▲ Over budget", "vi": "▲ Vượt ngân sách"},
    "budget.under": {"en": "▼ Under budget", "vi": "▼ Dưới ngân sách"},
    "budget.favourable": {"en": "✔ favourable", "vi": "✔ có lợi"},
    "budget.unfavourable": {"en": "✖ unfavourable", "vi": "✖ bất lợi"},
    "budget.on": {"en": "= On budget", "vi": "= Đúng ngân sách"},
    "budget.none": {"en": "No budget covers this period.", "vi": "Chưa có ngân sách cho kỳ này."},
    "budget.no_budget": {"en": "No budget", "vi": "Chưa có ngân sách"},
    # Sales and P&L
    "sales.by_territory": {
        "en": "Revenue by territory (click a row to filter)",
        "vi": "Doanh thu theo khu vực (bấm một dòng để lọc)",
    },
    "chart.by_territory": {"en": "Revenue by territory", "vi": "Doanh thu theo khu vực"},
    "sales.by_channel": {"en": "Revenue by channel", "vi": "Doanh thu theo kênh"},
    "sales.by_category": {"en": "Revenue by category", "vi": "Doanh thu theo danh mục"},
    "sales.trend": {"en": "Revenue trend", "vi": "Xu hướng doanh thu"},
    "chart.no_sales": {"en": "No sales in this period.", "vi": "Không có doanh số trong kỳ này."},
    "sales.top_products": {"en": "Top products", "vi": "Sản phẩm hàng đầu"},
    "sales.download": {"en": "Download CSV", "vi": "Tải CSV"},
    "pnl.by_territory": {"en": "P&L by territory", "vi": "Lãi lỗ theo khu vực"},
    "pnl.by_month": {"en": "P&L by month", "vi": "Lãi lỗ theo tháng"},
    "pnl.opex": {"en": "Operating expenses by category", "vi": "Chi phí hoạt động theo danh mục"},
    "pnl.budget": {"en": "Budget vs actual", "vi": "Ngân sách và thực tế"},
    "pnl.total": {"en": "Total", "vi": "Tổng"},
    # States
    "state.loading": {"en": "Loading…", "vi": "Đang tải…"},
    "state.empty": {
        "en": "No data yet. Import a sales file on the Imports page to see your figures here.",
        "vi": "Chưa có dữ liệu. Hãy nhập tệp doanh số ở trang Nhập dữ liệu để xem số liệu tại đây.",
    },
    "state.empty_viewer": {
        "en": "No data yet. Ask an analyst to import a sales file.",
        "vi": "Chưa có dữ liệu. Hãy nhờ phân tích viên nhập tệp doanh số.",
    },
    "state.go_imports": {"en": "Go to Imports", "vi": "Đến trang Nhập dữ liệu"},
    "state.db_down": {
        "en": "Database unavailable, retrying every few seconds. Your figures will appear when it is back.",
        "vi": "Không kết nối được cơ sở dữ liệu, đang thử lại. Số liệu sẽ hiện khi kết nối trở lại.",
    },
    "state.error": {
        "en": "Something went wrong showing this part ({problem}). Try again; if it persists, tell your administrator.",
        "vi": "Có lỗi khi hiển thị phần này ({problem}). Hãy thử lại; nếu vẫn lỗi, hãy báo quản trị viên.",
    },
    "state.degraded": {
        "en": "Degraded: cache unavailable, figures may load slower",
        "vi": "Suy giảm: bộ nhớ đệm không khả dụng",
    },
    "state.stale_code": {
        "en": "This server runs code that differs from release {release}. Tell your administrator.",
        "vi": "Máy chủ này chạy mã khác với bản phát hành {release}. Hãy báo quản trị viên.",
    },
    # Territories (scopes)
    "scope.label": {"en": "Territories", "vi": "Khu vực"},
    "scope.every": {"en": "every territory", "vi": "mọi khu vực"},
    "scope.nothing": {"en": "none", "vi": "không có"},
    "scope.none": {
        "en": "Your account has no territories yet; ask an admin to give you the territories you work on.",
        "vi": "Tài khoản của bạn chưa có khu vực nào; hãy nhờ quản trị viên cấp các khu vực bạn phụ trách.",
    },
    "scope.not_yours": {
        "en": (
            "{territory} is not one of your territories ({yours}), so nothing is shown for it. "
            "Choose one of yours, or All territories, under Territory."
        ),
        "vi": (
            "{territory} không thuộc các khu vực của bạn ({yours}), nên không hiển thị gì. "
            "Hãy chọn một khu vực của bạn, hoặc Tất cả khu vực, ở mục Khu vực."
        ),
    },
    # View as
    "view_as.banner": {
        "en": "Viewing as {name} (territories: {territories}) — read only.",
        "vi": "Đang xem với tư cách {name} (khu vực: {territories}) — chỉ xem.",
    },
    "view_as.back": {"en": "Back to your own view", "vi": "Trở về giao diện của bạn"},
    "view_as.link": {"en": "View the dashboard as {name}", "vi": "Xem bảng điều khiển với tư cách {name}"},
    "view_as.read_only": {
        "en": "Read only while viewing as {name}: nothing can be changed here.",
        "vi": "Chỉ xem khi đang xem với tư cách {name}: không thể thay đổi gì ở đây.",
    },
    "view_as.not_admin": {
        "en": (
            "Only an admin who sees every territory can view the dashboard as someone else ({username}); "
            "this is your own view."
        ),
        "vi": (
            "Chỉ quản trị viên xem được mọi khu vực mới có thể xem với tư cách người khác ({username}); "
            "đây là giao diện của bạn."
        ),
    },
    "view_as.unknown": {
        "en": "There is no active user called {username} to view as; this is your own view.",
        "vi": "Không có người dùng đang hoạt động tên {username}; đây là giao diện của bạn.",
    },
    # People and territories (Ops)
    "people.title": {"en": "People and territories", "vi": "Người dùng và khu vực"},
    "people.user": {"en": "User", "vi": "Người dùng"},
    "people.territories": {"en": "Territories", "vi": "Khu vực"},
    "people.hint": {
        "en": (
            "Write * for every territory, or the territories separated by commas (e.g. UK,IE). "
            "Leave it empty for none: the user then sees no figures at all."
        ),
        "vi": (
            "Nhập * cho mọi khu vực, hoặc các khu vực cách nhau bằng dấu phẩy (ví dụ UK,IE). "
            "Để trống nếu không cấp khu vực nào: người dùng sẽ không thấy số liệu nào."
        ),
    },
    "people.save": {"en": "Save territories", "vi": "Lưu khu vực"},
    "people.saved": {"en": "Saved: {name} now sees {territories}.", "vi": "Đã lưu: {name} giờ xem được {territories}."},
    "people.saved_none": {
        "en": "Saved: {name} now has no territories and sees no figures at all until you give them some.",
        "vi": "Đã lưu: {name} giờ không có khu vực nào và sẽ không thấy số liệu cho đến khi được cấp.",
    },
    "people.no_data_yet": {
        "en": "No data holds {names} yet: check the spelling (figures appear when their data arrives).",
        "vi": "Chưa có dữ liệu cho {names}: hãy kiểm tra chính tả (số liệu sẽ hiện khi có dữ liệu).",
    },
    "people.bad": {"en": "Not saved: {problem}.", "vi": "Chưa lưu: {problem}."},
    "people.unknown": {
        "en": "Not saved: {problem}; reload the page to see the current users.",
        "vi": "Chưa lưu: {problem}; hãy tải lại trang để xem danh sách người dùng hiện tại.",
    },
    "people.needs_every_territory": {
        "en": "Setting territories and viewing as someone else need an admin account that sees every territory.",
        "vi": "Cấp khu vực và xem với tư cách người khác cần tài khoản quản trị xem được mọi khu vực.",
    },
    # Sidebar and footer
    "system.ok": {"en": "● System OK", "vi": "● Hệ thống ổn định"},
    "system.down": {"en": "▲ Database unavailable", "vi": "▲ Mất kết nối cơ sở dữ liệu"},
    "footer": {
        "en": "Glance {version} · revision {revision} · data as of {as_of}",
        "vi": "Glance {version} · bản {revision} · dữ liệu đến {as_of}",
    },
    "footer.never": {"en": "no import yet", "vi": "chưa nhập"},
    "logout": {"en": "Log out", "vi": "Đăng xuất"},
    # Imports
    "imports.file": {"en": "File", "vi": "Tệp"},
    "imports.kind": {"en": "Kind", "vi": "Loại"},
    "imports.source": {"en": "Source", "vi": "Nguồn"},
    "imports.strict": {"en": "Refuse the whole file if any row is bad", "vi": "Từ chối cả tệp nếu có dòng lỗi"},
    "imports.mapping": {"en": "Columns (file column for each field)", "vi": "Cột (cột trong tệp cho từng trường)"},
    "imports.not_in_file": {"en": "(not in file)", "vi": "(không có trong tệp)"},
    "imports.not_used": {"en": "Not used", "vi": "Không dùng"},
    "imports.upload": {"en": "Upload", "vi": "Tải lên"},
    "imports.pick_file": {"en": "Choose a file first.", "vi": "Hãy chọn tệp trước."},
    "imports.report": {"en": "Run report", "vi": "Báo cáo lần nhập"},
    "imports.rejected": {"en": "Rejected rows", "vi": "Dòng bị từ chối"},
    "imports.rejected_csv": {"en": "Download rejected rows (CSV)", "vi": "Tải dòng bị từ chối (CSV)"},
    "imports.history": {"en": "Import history", "vi": "Lịch sử nhập"},
    "imports.unavailable": {
        "en": (
            "Uploads are unavailable: the sync service does not answer ({problem}). "
            "Viewing still works; try again later."
        ),
        "vi": "Không thể tải lên: dịch vụ đồng bộ không phản hồi ({problem}). Vẫn xem được số liệu; hãy thử lại sau.",
    },
    "imports.history_failed": {
        "en": "Import history could not be read from the sync service ({problem}). Uploads may still work.",
        "vi": "Không đọc được lịch sử nhập từ dịch vụ đồng bộ ({problem}). Vẫn có thể tải lên.",
    },
    "imports.refused": {
        "en": "The sync service refused the upload: {problem}",
        "vi": "Dịch vụ đồng bộ từ chối tệp: {problem}",
    },
    # Ops
    "ops.parts": {"en": "What each part runs", "vi": "Mỗi thành phần đang chạy gì"},
    "ops.dependencies": {"en": "Dependency health", "vi": "Tình trạng phụ thuộc"},
    "ops.freshness": {"en": "Data freshness per source", "vi": "Độ mới dữ liệu theo nguồn"},
    "ops.cache": {"en": "Cache", "vi": "Bộ nhớ đệm"},
    # Profile
    "profile.name": {"en": "Name", "vi": "Tên"},
    "profile.username": {"en": "Username", "vi": "Tên đăng nhập"},
    "profile.role": {"en": "Role", "vi": "Vai trò"},
    "profile.territories": {"en": "Territories", "vi": "Khu vực"},
    "profile.member_since": {"en": "Member since", "vi": "Thành viên từ"},
    "profile.language": {"en": "Language", "vi": "Ngôn ngữ"},
    "profile.current_password": {"en": "Current password", "vi": "Mật khẩu hiện tại"},
    "profile.new_password": {"en": "New password (at least 10 characters)", "vi": "Mật khẩu mới (ít nhất 10 ký tự)"},
    "profile.change_password": {"en": "Change password", "vi": "Đổi mật khẩu"},
    "profile.password_changed": {"en": "Password changed.", "vi": "Đã đổi mật khẩu."},
    "profile.password_wrong": {"en": "The current password is not right.", "vi": "Mật khẩu hiện tại không đúng."},
    "profile.password_short": {
        "en": "The new password needs at least 10 characters.",
        "vi": "Mật khẩu mới cần ít nhất 10 ký tự.",
    },
    "profile.language_browser": {"en": "Browser default", "vi": "Theo trình duyệt"},
    "profile.saved": {"en": "Language saved.", "vi": "Đã lưu ngôn ngữ."},
    # Login
    "login.title": {"en": "Sign in to Glance", "vi": "Đăng nhập Glance"},
    "login.username": {"en": "Username", "vi": "Tên đăng nhập"},
    "login.password": {"en": "Password", "vi": "Mật khẩu"},
    "login.submit": {"en": "Sign in", "vi": "Đăng nhập"},
    "login.failed": {"en": "Wrong username or password.", "vi": "Sai tên đăng nhập hoặc mật khẩu."},
    "login.unavailable": {
        "en": "Sign-in is unavailable: the database does not answer. Try again in a minute.",
        "vi": "Không đăng nhập được: cơ sở dữ liệu không phản hồi. Hãy thử lại sau ít phút.",
    },
    "login.throttled": {
        "en": "Too many failed sign-ins. Try again in {seconds} seconds.",
        "vi": "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {seconds} giây.",
    },
    "login.logged_out": {"en": "You are signed out.", "vi": "Bạn đã đăng xuất."},
    "login.again": {"en": "Sign in again", "vi": "Đăng nhập lại"},
}


@dataclass(frozen=True)
class Translator:
    """Looks up UI text in one language, falling back to English."""

    language: str

    def __call__(self, key: str, **values: object) -> str:
        entry = CATALOGUE[key]
        text = entry.get(self.language) or entry[DEFAULT_LANGUAGE]
        return text.format(**values) if values else text


def choose_language(preferred: str | None, accept_language: str | None) -> str:
    """The user's saved language, else the browser's first supported one, else English."""
    if preferred and preferred[:2].lower() in LANGUAGES:
        return preferred[:2].lower()
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
