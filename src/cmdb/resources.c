/* resources.c -- the description of every CMDB and application resource.
 *
 * This is the one place that says what a host, an IDC, a credential… is:
 * which fields, of what type and size, which are searched, sorted, filtered
 * and shown in lists, and how they refer to each other. Everything else
 * (validation, SQL, JSON, CSV, the console's tables and forms) follows from
 * it. The tables themselves are created by src/store/schema/002_cmdb.sql.
 */
#include "cmdb/resource.h"

#include <string.h>

#define END {NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL}
/* Shorthands: T(name, flags, max, en, zh) and so on; R = reference. */
#define F(n, t, fl, mn, mx, en, zh) {n, t, fl, mn, mx, NULL, NULL, NULL, NULL, NULL, NULL, NULL, en, zh}
#define T(n, fl, mx, en, zh) F(n, FT_TEXT, fl, 0, mx, en, zh)
#define NOTE(n, en, zh) F(n, FT_NOTE, F_SEARCH, 0, 4000, en, zh)
#define DATE(n, fl, en, zh) F(n, FT_DATE, fl | F_SORT, 0, 0, en, zh)
#define R(n, res, fl, en, zh) {n, FT_REF, fl | F_FILTER, 0, 0, res, NULL, NULL, NULL, NULL, NULL, NULL, en, zh}
#define E(n, vals, fl, en, zh) {n, FT_ENUM, fl | F_FILTER | F_SORT, 0, 0, NULL, vals, NULL, NULL, NULL, NULL, NULL, en, zh}
#define CODE(n, res, fl, en, zh) {n, FT_CODE, fl | F_FILTER | F_SORT, 0, 0, res, NULL, NULL, NULL, NULL, NULL, NULL, en, zh}
/* A set through link table tbl(self, other), filtered by ?filt=id. */
#define REFS(n, res, fl, mx, tbl, self, other, filt, en, zh) \
    {n, FT_REFS, fl, 0, mx, res, NULL, tbl, self, other, filt, NULL, en, zh}
#define STAMPS                                                                         \
    F("created_at", FT_INT, F_READONLY | F_SORT, 0, 0, "Created", "创建时间"),          \
    F("updated_at", FT_INT, F_READONLY | F_SORT, 0, 0, "Updated", "更新时间")

static const res_field owner_fields[] = {
    T("name", F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST | F_KEY, 64, "Name", "姓名"),
    T("phone", F_SEARCH | F_LIST, 32, "Phone", "电话"),
    F("email", FT_EMAIL, F_SEARCH | F_LIST, 0, 254, "Email", "邮箱"),
    T("wechat", F_SEARCH | F_LIST, 64, "WeChat", "微信"),
    T("qq", F_SEARCH, 32, "QQ", "QQ"),
    STAMPS, END,
};

static const res_field idc_fields[] = {
    T("code", F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST | F_KEY, 32, "Code", "机房编码"),
    T("name", F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST, 128, "Name", "机房名称"),
    T("address", F_SEARCH | F_LIST, 255, "Address", "地址"),
    T("phone", F_SEARCH | F_LIST, 32, "Phone", "电话"),
    T("contact", F_SEARCH | F_LIST, 64, "Contact", "客户经理"),
    T("contact_phone", F_SEARCH, 32, "Contact phone", "联系电话"),
    T("ip_range", F_SEARCH | F_LIST, 255, "IP range", "IP 范围"),
    T("bandwidth", F_SEARCH | F_LIST, 64, "Bandwidth", "带宽"),
    NOTE("memo", "Memo", "备注"),
    STAMPS, END,
};

/* A cabinet is named within its IDC; its hosts are the hosts whose
 * cabinet_id is this cabinet, and they are in the cabinet's IDC. */
static const res_field cabinet_fields[] = {
    R("idc_id", "idcs", F_REQUIRED | F_LIST | F_SORT | F_KEY, "IDC", "所属机房"),
    T("name", F_REQUIRED | F_SEARCH | F_SORT | F_LIST | F_KEY, 64, "Name", "机柜名称"),
    T("description", F_SEARCH | F_LIST, 255, "Description", "描述"),
    {"host_ids", FT_BACKREFS, F_LIST, 0, 10000, "hosts", NULL, NULL, "cabinet_id", NULL, NULL, "idc_id", "Hosts",
     "服务器"},
    STAMPS, END,
};

static const res_field group_fields[] = {
    T("name", F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST | F_KEY, 64, "Name", "组名"),
    T("description", F_SEARCH | F_LIST, 255, "Description", "描述"),
    REFS("host_ids", "hosts", F_LIST, 10000, "host_group_members", "group_id", "host_id", "host_id", "Hosts",
         "服务器"),
    STAMPS, END,
};

/* Editable code lists (asset types, asset statuses): hosts store the code. */
static const res_field code_fields[] = {
    T("code", F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST | F_KEY, 32, "Code", "代码"),
    T("name_en", F_REQUIRED | F_SEARCH | F_LIST | F_SORT, 64, "English name", "英文名称"),
    T("name_zh", F_REQUIRED | F_SEARCH | F_LIST | F_SORT, 64, "Chinese name", "中文名称"),
    F("sort_order", FT_INT, F_SORT | F_LIST, 0, 10000, "Order", "排序"),
    STAMPS, END,
};

static const res_field credential_fields[] = {
    T("name", F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST | F_KEY, 64, "Name", "名称"),
    T("username", F_REQUIRED | F_SEARCH | F_SORT | F_LIST, 64, "User", "用户名"),
    F("port", FT_INT, F_LIST | F_SORT, 1, 65535, "Port", "端口"),
    F("password", FT_SECRET, F_LIST, 0, 1024, "Password", "密码"),
    F("private_key", FT_SECRET, F_LIST, 0, 16384, "Private key", "私钥"),
    F("passphrase", FT_SECRET, 0, 0, 1024, "Key passphrase", "私钥口令"),
    NOTE("memo", "Memo", "备注"),
    STAMPS, END,
};

static const res_field host_fields[] = {
    T("hostname", F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST | F_KEY, 253, "Hostname", "主机名"),
    F("ip", FT_IP, F_REQUIRED | F_SEARCH | F_SORT | F_LIST, 0, 0, "Management IP", "管理IP"),
    F("other_ips", FT_IPS, F_SEARCH, 0, 1000, "Other IPs", "其他IP"),
    REFS("group_ids", "groups", F_LIST, 1000, "host_group_members", "host_id", "group_id", "group_id", "Groups",
         "主机组"),
    R("idc_id", "idcs", F_LIST | F_SORT, "IDC", "机房"),
    {"cabinet_id", FT_REF, F_SORT | F_FILTER, 0, 0, "cabinets", NULL, NULL, NULL, NULL, NULL, "idc_id", "Cabinet",
     "机柜"},
    T("asset_no", F_SEARCH | F_SORT, 64, "Asset number", "资产编号"),
    CODE("asset_type", "asset-types", F_LIST, "Asset type", "设备类型"),
    CODE("asset_status", "asset-statuses", F_LIST, "Status", "设备状态"),
    T("os", F_SEARCH | F_SORT, 128, "OS", "操作系统"),
    T("kernel", F_SEARCH, 128, "Kernel", "内核"),
    T("vendor", F_SEARCH | F_SORT, 64, "Vendor", "厂商"),
    T("model", F_SEARCH, 128, "Model", "型号"),
    T("sn", F_SEARCH | F_SORT, 64, "Serial number", "序列号"),
    T("cpu_model", F_SEARCH, 128, "CPU model", "CPU型号"),
    F("cpu_count", FT_INT, F_SORT | F_LIST, 0, 100000, "CPUs", "CPU核数"),
    F("memory_mb", FT_INT, F_SORT | F_LIST, 0, (int64_t)1 << 40, "Memory (MB)", "内存(MB)"),
    F("disks", FT_TEXT, F_SEARCH, 0, 1000, "Disks", "硬盘"),
    T("position", F_SEARCH, 128, "Position", "位置"),
    DATE("racked_at", 0, "Racked", "上架日期"),
    DATE("purchased_at", 0, "Purchased", "购买日期"),
    DATE("warranty_end", 0, "Warranty end", "保修到期"),
    R("owner_id", "owners", F_SORT, "Owner", "负责人"),
    R("credential_id", "credentials", 0, "Credential", "认证凭据"),
    F("ssh_port", FT_INT, 0, 1, 65535, "SSH port", "SSH端口"),
    F("tags", FT_TAGS, F_SEARCH, 0, 32, "Tags", "标签"),
    NOTE("memo", "Memo", "备注"),
    T("source", F_READONLY | F_FILTER | F_SORT, 16, "Source", "来源"),
    /* Filled by the agent (docs/AGENT.md): online = seen within 3 intervals. */
    F("last_seen_at", FT_INT, F_READONLY | F_SORT | F_LIST, 0, 0, "Last report", "最后上报"),
    F("agent_interval", FT_INT, F_READONLY, 0, 0, "Report interval", "上报间隔"),
    T("agent_version", F_READONLY, 32, "Agent version", "Agent版本"),
    STAMPS, END,
};

static const char *const languages[] = {"java", "php", "python", "go", "csharp", "javascript", "nodejs",
                                        "html", "cpp", "ruby", "other", NULL};
static const char *const app_types[] = {"frontend", "middleware", "backend", NULL};
static const char *const server_types[] = {"tomcat", "weblogic", "jetty", "nginx", "gunicorn", "uwsgi",
                                           "apache", "iis", "other", NULL};
static const char *const frameworks[] = {"django", "flask", "tornado", "dubbo", "ssh", "spring_boot",
                                         "spring_cloud", "laravel", "thinkphp", "phalcon", "other", NULL};
static const char *const source_types[] = {"git", "svn", NULL};

static const res_field product_fields[] = {
    T("name", F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST | F_KEY, 64, "Name", "产品线"),
    T("description", F_SEARCH | F_LIST, 255, "Description", "描述"),
    R("owner_id", "owners", F_LIST, "Owner", "负责人"),
    STAMPS, END,
};

static const res_field project_fields[] = {
    T("name", F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST | F_KEY, 64, "Name", "项目名"),
    T("description", F_SEARCH, 255, "Description", "描述"),
    E("language", languages, F_LIST, "Language", "语言"),
    E("app_type", app_types, F_LIST, "App type", "应用类型"),
    E("server_type", server_types, 0, "Server type", "服务器类型"),
    E("framework", frameworks, 0, "Framework", "框架"),
    E("source_type", source_types, 0, "Source type", "源类型"),
    T("source_url", F_SEARCH, 512, "Source address", "源地址"),
    T("deploy_path", 0, 512, "Deploy path", "部署路径"),
    T("config_path", 0, 512, "Config path", "配置路径"),
    R("product_id", "products", F_LIST | F_SORT, "Product line", "产品线"),
    R("owner_id", "owners", F_LIST, "Owner", "负责人"),
    REFS("host_ids", "hosts", 0, 10000, "project_hosts", "project_id", "host_id", "host_id", "Servers", "服务器"),
    STAMPS, END,
};

static const res_field region_fields[] = {
    T("name", F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST | F_KEY, 64, "Name", "区域名称"),
    T("address", F_SEARCH | F_LIST, 255, "Address", "地址"),
    T("phone", F_SEARCH | F_LIST, 32, "Phone", "电话"),
    R("owner_id", "owners", F_LIST, "Owner", "负责人"),
    T("description", F_SEARCH, 255, "Description", "描述"),
    STAMPS, END,
};

static const res_field branch_fields[] = {
    T("name", F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST | F_KEY, 64, "Name", "分支机构"),
    T("address", F_SEARCH | F_LIST, 255, "Address", "地址"),
    T("phone", F_SEARCH | F_LIST, 32, "Phone", "电话"),
    R("region_id", "regions", F_LIST | F_SORT, "Region", "所属区域"),
    R("owner_id", "owners", F_LIST, "Owner", "负责人"),
    T("description", F_SEARCH, 255, "Description", "描述"),
    STAMPS, END,
};

static const res_field resource_fields[] = {
    T("code", F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST | F_KEY, 64, "Code", "资源编码"),
    T("name", F_REQUIRED | F_SEARCH | F_SORT | F_LIST, 128, "Name", "资源名称"),
    T("spec", F_REQUIRED | F_SEARCH | F_LIST, 255, "Specification", "规格"),
    F("budget", FT_DECIMAL, F_SORT, 0, 0, "Budget", "预算"),
    F("paid", FT_DECIMAL, F_SORT | F_LIST, 0, 0, "Amount paid", "合同金额"),
    T("contract_no", F_SEARCH, 64, "Contract number", "合同编号"),
    DATE("contract_start", 0, "Contract start", "合同开始"),
    DATE("contract_end", F_LIST, "Contract end", "合同结束"),
    T("supplier", F_SEARCH | F_LIST, 128, "Supplier", "供应商"),
    T("service_phone", F_SEARCH, 32, "Service phone", "服务电话"),
    R("branch_id", "branches", F_LIST | F_SORT, "Branch", "所属机构"),
    R("owner_id", "owners", 0, "Supplier contact", "供应商联系人"),
    T("description", F_SEARCH, 255, "Description", "描述"),
    STAMPS, END,
};

static const res_field nav_fields[] = {
    T("name", F_REQUIRED | F_UNIQUE | F_SEARCH | F_SORT | F_LIST | F_KEY, 64, "Name", "名称"),
    T("description", F_SEARCH | F_LIST, 255, "Description", "描述"),
    F("url", FT_URL, F_REQUIRED | F_SEARCH | F_LIST, 0, 1024, "URL", "网址"),
    F("icon", FT_ICON, F_LIST, 0, 64, "Icon", "图标"),
    F("sort_order", FT_INT, F_SORT | F_LIST, 0, 10000, "Order", "排序"),
    STAMPS, END,
};

/* RES(URL name, table, audit object, permission module, display field,
 * default sort, scope, labels, fields); the FTS5 table is <table>_fts. */
#define RES(nm, tbl, obj, mod, disp, sort, scope, en, zh, flds) \
    {nm, tbl, obj, mod, disp, sort, tbl "_fts", scope, en, zh, flds, NULL}

/* A role limited to a group must not silently become unlimited when the
 * group goes: deleting a group that roles are limited to is refused. */
static const res_extref group_refs[] = {{"role_groups", "group_id", "roles"}, {NULL, NULL, NULL}};

const resource res_owners = RES("owners", "owners", "owner", "apps", "name", "name", RES_SCOPE_NONE, "Owners",
                                "负责人", owner_fields);
const resource res_idcs = RES("idcs", "idcs", "idc", "assets", "name", "name", RES_SCOPE_NONE, "IDCs", "机房",
                              idc_fields);
const resource res_cabinets = RES("cabinets", "cabinets", "cabinet", "assets", "name", "name", RES_SCOPE_NONE,
                                  "Cabinets", "机柜", cabinet_fields);
const resource res_groups = {"groups", "host_groups", "group", "assets", "name", "name", "host_groups_fts",
                              RES_SCOPE_GROUPS, "Host groups", "主机组", group_fields, group_refs};
const resource res_asset_types = RES("asset-types", "asset_types", "asset_type", "assets", "code", "sort_order",
                                     RES_SCOPE_NONE, "Asset types", "设备类型", code_fields);
const resource res_asset_statuses = RES("asset-statuses", "asset_statuses", "asset_status", "assets", "code",
                                        "sort_order", RES_SCOPE_NONE, "Asset statuses", "设备状态", code_fields);
const resource res_credentials = RES("credentials", "credentials", "credential", "apps", "name", "name",
                                     RES_SCOPE_NONE, "Credentials", "认证中心", credential_fields);
const resource res_hosts = RES("hosts", "hosts", "host", "assets", "hostname", "hostname", RES_SCOPE_HOSTS,
                               "Hosts", "主机", host_fields);
const resource res_products = RES("products", "products", "product", "apps", "name", "name", RES_SCOPE_NONE,
                                  "Product lines", "产品线", product_fields);
const resource res_projects = RES("projects", "projects", "project", "apps", "name", "name", RES_SCOPE_NONE,
                                  "Projects", "项目", project_fields);
const resource res_regions = RES("regions", "regions", "region", "apps", "name", "name", RES_SCOPE_NONE,
                                 "Regions", "区域", region_fields);
const resource res_branches = RES("branches", "branches", "branch", "apps", "name", "name", RES_SCOPE_NONE,
                                  "Branches", "分支机构", branch_fields);
const resource res_resources = RES("resources", "resources", "resource", "apps", "name", "code", RES_SCOPE_NONE,
                                   "Resources", "资源", resource_fields);
const resource res_nav = RES("nav-links", "nav_links", "nav_link", "settings", "name", "sort_order",
                             RES_SCOPE_NONE, "Navigation", "站点导航", nav_fields);

const resource *const cmdb_resources[] = {
    &res_hosts, &res_groups, &res_idcs, &res_cabinets, &res_asset_types, &res_asset_statuses,
    &res_credentials, &res_owners, &res_products, &res_projects, &res_regions, &res_branches,
    &res_resources, &res_nav, NULL,
};

const resource *resource_find(const char *name)
{
    for (const resource *const *r = cmdb_resources; *r; r++)
        if (strcmp((*r)->name, name) == 0)
            return *r;
    return NULL;
}

const res_field *resource_field(const resource *res, const char *name)
{
    for (const res_field *f = res->fields; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}
