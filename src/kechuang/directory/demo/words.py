"""Generic Chinese word lists for synthetic demo data (no district names here: those live in the
district's ``demo.yaml``)."""

from __future__ import annotations

from typing import Any

# Surnames with rough frequency weights (the most common ~100 surnames).
SURNAMES: list[tuple[str, int]] = [
    ("王", 72),
    ("李", 71),
    ("张", 68),
    ("刘", 54),
    ("陈", 45),
    ("杨", 31),
    ("黄", 23),
    ("赵", 22),
    ("吴", 20),
    ("周", 20),
    ("徐", 15),
    ("孙", 15),
    ("马", 13),
    ("朱", 13),
    ("胡", 12),
    ("郭", 12),
    ("何", 11),
    ("林", 11),
    ("高", 11),
    ("罗", 10),
    ("郑", 10),
    ("梁", 9),
    ("谢", 8),
    ("宋", 8),
    ("唐", 8),
    ("许", 7),
    ("韩", 7),
    ("冯", 7),
    ("邓", 7),
    ("曹", 6),
    ("彭", 6),
    ("曾", 6),
    ("肖", 6),
    ("田", 5),
    ("董", 5),
    ("袁", 5),
    ("潘", 5),
    ("于", 5),
    ("蒋", 5),
    ("蔡", 5),
    ("余", 5),
    ("杜", 5),
    ("叶", 5),
    ("程", 5),
    ("苏", 4),
    ("魏", 4),
    ("吕", 4),
    ("丁", 4),
    ("任", 4),
    ("沈", 4),
    ("姚", 4),
    ("卢", 4),
    ("姜", 4),
    ("崔", 3),
    ("钟", 3),
    ("谭", 3),
    ("陆", 3),
    ("汪", 3),
    ("范", 3),
    ("金", 3),
    ("石", 3),
    ("廖", 3),
    ("贾", 3),
    ("夏", 3),
    ("韦", 3),
    ("方", 3),
    ("白", 3),
    ("邹", 3),
    ("孟", 3),
    ("熊", 3),
    ("秦", 3),
    ("邱", 3),
    ("江", 3),
    ("尹", 3),
    ("薛", 2),
    ("闫", 2),
    ("段", 2),
    ("雷", 2),
    ("侯", 2),
    ("龙", 2),
    ("史", 2),
    ("陶", 2),
    ("黎", 2),
    ("贺", 2),
    ("顾", 2),
    ("毛", 2),
    ("郝", 2),
    ("龚", 2),
    ("邵", 2),
    ("万", 2),
    ("钱", 2),
    ("严", 2),
    ("武", 2),
    ("戴", 2),
    ("莫", 1),
    ("孔", 1),
    ("汤", 1),
    ("倪", 1),
    ("施", 1),
    ("欧阳", 1),
    ("司马", 1),
    ("诸葛", 1),
]

GIVEN_MALE = list(
    "伟强磊军勇杰涛明超刚辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林阳峰晨昊博文志建海东亮毅翔成睿泽轩哲"
    "卓晟嘉佳天振立永春新家德荣庆国平良彬骏铭锐舟远诚岩恒栋楠瀚逸晖松柏"
)
GIVEN_FEMALE = list(
    "芳娜敏静丽艳娟秀霞婷雪琳晶颖倩玲慧莉萍燕璐瑶怡欣悦雯琪蕾洁丹薇梦诗雨晓佩妍月玉红梅兰岚"
    "菲婉清蓉莹琦妮茜涵馨"
)
# Two-character given names that read naturally (used alongside random pairs).
GIVEN_COMMON = [
    "建国",
    "建华",
    "志强",
    "志明",
    "晓东",
    "晓峰",
    "海涛",
    "俊杰",
    "子涵",
    "浩然",
    "一鸣",
    "思远",
    "雨桐",
    "欣怡",
    "佳琪",
    "梓萱",
    "晓燕",
    "丽娟",
    "秀英",
    "文博",
    "立新",
    "振华",
    "卫东",
    "国庆",
    "明轩",
    "宇航",
    "嘉怡",
    "若曦",
    "思琪",
    "梦瑶",
    "雪梅",
    "春燕",
    "永刚",
    "长青",
    "天宇",
    "昊天",
]

# 字号 (brand) characters with pleasant meanings, common in Chinese company names.
BRAND_CHARS = list(
    "华泰瑞博创远达恒信通联智睿思源明宇航晟昊卓越汇众鼎诚安盛合和兴元天启辰星辉拓迈领优锐英凯"
    "康宏峻峰澜洋川岳禾朗润逸悦翊弘毅致知微纳极量维度衡图腾蓝青云晨曦昕煜烨琪瑾璟珩铭钧锋森"
    "禹尚中正同协融芯科睿朴坤乾景弈沐"
)
# Brands that would read as a well-known company or a restricted word; never generated.
BRAND_BLOCKLIST = frozenset(
    {
        "中华",
        "中国",
        "华为",
        "腾讯",
        "阿里",
        "百度",
        "京东",
        "小米",
        "联想",
        "中兴",
        "海尔",
        "美的",
        "格力",
        "大疆",
        "海康",
        "大华",
        "紫光",
        "中芯",
        "华虹",
        "长电",
        "汇顶",
        "韦尔",
        "兆易",
        "澜起",
        "商汤",
        "旷视",
        "讯飞",
        "宁德",
        "蔚来",
        "理想",
        "小鹏",
        "上汽",
        "吉利",
        "长城",
        "奇瑞",
        "禾赛",
        "速腾",
        "图森",
        "安恒",
        "奇安",
        "深信",
        "启明",
        "天融",
        "绿盟",
        "华测",
        "谱尼",
        "锐科",
        "创鑫",
        "大族",
        "华工",
        "联影",
        "迈瑞",
        "微创",
        "鱼跃",
        "华大",
        "药明",
        "恒瑞",
        "复星",
        "信达",
        "君实",
        "晶科",
        "隆基",
        "阳光",
        "天合",
        "通威",
        "国轩",
        "中微",
        "北方",
        "盛美",
        "拓荆",
        "华海",
        "安集",
        "立讯",
        "歌尔",
        "舜宇",
        "炬光",
        "光峰",
        "中电",
        "天马",
        "同方",
        "浪潮",
        "曙光",
        "中科",
        "中航",
        "航天",
        "中天",
        "正泰",
        "德赛",
        "华域",
        "均胜",
        "中信",
        "招商",
        "平安",
        "国泰",
        "华泰",
        "东方",
        "新华",
        "人民",
        "中央",
        "国家",
    }
)

# Legal forms (组织形式) and their weights for ordinary enterprises.
# (Joint-stock companies are only medium or large; see the generator.)
ENTERPRISE_FORMS: list[tuple[str, int]] = [("有限公司", 85), ("股份有限公司", 15)]

# Enterprise name patterns: {city} 上海, {local} a locality (e.g. 嘉定), {brand}, {word}, {form}.
ENTERPRISE_NAME_PATTERNS: list[tuple[str, int]] = [
    ("{city}{brand}{word}{form}", 66),
    ("{brand}（{city}）{word}{form}", 12),
    ("{brand}{word}（{city}）{form}", 8),
    ("{city}{local}{brand}{word}{form}", 8),
    ("{local}{brand}{word}{form}", 6),
]

MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "193",
    "195",
    "198",
    "199",
]

QUALIFICATION_PHRASES = {
    "high_tech": "国家高新技术企业",
    "specialized": "“专精特新”中小企业",
    "little_giant": "国家级专精特新“小巨人”企业",
    "tech_sme": "科技型中小企业",
    "gazelle": "瞪羚企业",
}

ENTERPRISE_TEMPLATES = [
    "{short}成立于{year}年，位于{place}，专注于{focus}，主要产品包括{products}，广泛应用于{apps}等领域。{ip}{quals}{phrase}",
    "{name}是一家以{focus}为核心业务的科技企业，坐落于{place}。公司已形成{products}等产品线，服务{apps}等行业客户。{ip}{quals}{phrase}",
    "{short}深耕{focus}领域，围绕{apps}等应用场景提供{products}等产品与解决方案。公司成立于{year}年，{staff}。{ip}{quals}{phrase}",
    "{short}致力于{focus}，自主研发的{products}已在{apps}等场景批量应用。公司现有员工{staff_n}人，其中研发人员占比约{rd}%。{ip}{quals}{phrase}",
]

STAFF_PHRASES = {
    "micro": "团队规模约{n}人，以研发人员为主",
    "small": "现有员工{n}人，研发人员占比超过四成",
    "medium": "现有员工{n}人，建有研发中心和中试产线",
    "large": "现有员工{n}人，在长三角设有多个研发和生产基地",
}
STAFF_RANGES = {"micro": (6, 19), "small": (20, 99), "medium": (100, 899), "large": (1000, 3200)}
PATENT_RANGES = {"micro": (0, 6), "small": (3, 18), "medium": (12, 80), "large": (60, 260)}
SOFTWARE_COPYRIGHT_RANGES = {"micro": (3, 15), "small": (5, 30), "medium": (15, 80), "large": (40, 200)}

# Service providers: category, weight, name patterns (pattern, GB/T 4754 code, short-name suffix),
# services, staff.
PROVIDER_CATEGORIES: list[dict[str, Any]] = [
    {
        "code": "ip",
        "label": "知识产权服务",
        "weight": 5,
        "uscc_prefix": "91",
        "patterns": [
            ("{city}{brand}知识产权代理有限公司", "7520", "知识产权"),
            ("{city}{brand}专利代理事务所（普通合伙）", "7520", "专利"),
            ("{city}{brand}知识产权服务有限公司", "7520", "知识产权"),
        ],
        "services": [
            "专利申请与布局",
            "高价值专利培育",
            "专利导航与分析评议",
            "知识产权贯标",
            "商标注册与维权",
            "知识产权质押融资辅导",
            "专利许可与转让运营",
        ],
        "staff": [
            ("专利代理师", ""),
            ("知识产权咨询师", ""),
            ("高级专利代理师", "intermediate"),
            ("合伙人、专利代理师", "associate_senior"),
        ],
        "fields": True,
    },
    {
        "code": "law",
        "label": "法律服务",
        "weight": 3,
        "uscc_prefix": "31",
        "patterns": [("{city}{brand}律师事务所", "7231", "律所")],
        "services": [
            "技术合同审查与谈判",
            "股权激励方案设计",
            "知识产权诉讼与仲裁",
            "企业合规体系建设",
            "投融资法律服务",
            "科技成果作价入股法律服务",
        ],
        "staff": [("执业律师", ""), ("合伙人律师", ""), ("高级合伙人", "")],
        "fields": False,
    },
    {
        "code": "accounting",
        "label": "财税服务",
        "weight": 2,
        "uscc_prefix": "91",
        "patterns": [
            ("{city}{brand}会计师事务所（普通合伙）", "7241", "会计"),
            ("{city}{brand}税务师事务所有限公司", "7241", "税务"),
        ],
        "services": [
            "研发费用加计扣除专项审计",
            "高新技术企业专项审计",
            "财务尽职调查",
            "税务筹划",
            "政府资金专项审计",
        ],
        "staff": [
            ("注册会计师", "intermediate"),
            ("项目经理", ""),
            ("合伙人、注册会计师", "associate_senior"),
        ],
        "fields": False,
    },
    {
        "code": "finance",
        "label": "科技金融",
        "weight": 3,
        "uscc_prefix": "91",
        "patterns": [
            ("{city}{brand}创业投资管理有限公司", "67", "创投"),
            ("{city}{brand}私募基金管理有限公司", "67", "资本"),
            ("{city}{brand}融资担保有限公司", "69", "担保"),
        ],
        "services": [
            "天使轮及A轮股权投资",
            "知识产权质押融资",
            "科技信贷对接",
            "投贷联动",
            "上市辅导与资本规划",
        ],
        "staff": [("投资经理", ""), ("投资总监", ""), ("风控总监", "intermediate"), ("合伙人", "")],
        "fields": True,
    },
    {
        "code": "testing",
        "label": "检验检测",
        "weight": 4,
        "uscc_prefix": "91",
        "patterns": [
            ("{city}{brand}检测技术有限公司", "7452", "检测"),
            ("{city}{brand}检测认证有限公司", "7452", "检测认证"),
            ("{city}{brand}计量检测技术有限公司", "7453", "计量"),
        ],
        "services": [
            "电磁兼容（EMC）检测",
            "环境与可靠性试验",
            "仪器设备计量校准",
            "CNAS认可检测报告",
            "车规级元器件AEC-Q认证测试",
            "医疗器械注册检验",
            "失效分析",
        ],
        "staff": [
            ("检测工程师", "intermediate"),
            ("技术负责人", "associate_senior"),
            ("授权签字人", "intermediate"),
            ("实验室主管", "intermediate"),
        ],
        "fields": True,
    },
    {
        "code": "consulting",
        "label": "科技咨询",
        "weight": 3,
        "uscc_prefix": "91",
        "patterns": [
            ("{city}{brand}企业管理咨询有限公司", "72", "咨询"),
            ("{city}{brand}科技咨询有限公司", "72", "咨询"),
        ],
        "services": [
            "高新技术企业认定辅导",
            "科技项目申报",
            "专精特新培育咨询",
            "数字化转型诊断",
            "研发管理体系建设",
        ],
        "staff": [("咨询顾问", ""), ("高级咨询顾问", "intermediate"), ("项目经理", "")],
        "fields": True,
    },
    {
        "code": "transfer",
        "label": "技术转移",
        "weight": 2,
        "uscc_prefix": "91",
        "patterns": [
            ("{city}{brand}技术转移有限公司", "7530", "技术转移"),
            ("{city}{brand}科技成果转化服务有限公司", "7530", "成果转化"),
        ],
        "services": ["技术合同登记辅导", "科技成果评估与作价", "技术经纪与对接", "概念验证", "中试熟化对接"],
        "staff": [("技术经理人", "intermediate"), ("高级技术经理人", "associate_senior"), ("项目经理", "")],
        "fields": True,
    },
]

PROVIDER_TEMPLATES = [
    "{name}是专业的{label}机构，立足{place}，主要提供{services}等服务，已服务科技企业{clients}余家。{phrase}",
    "{short}成立于{year}年，专注{label}，为院所和科技企业提供{services}等一站式服务。{phrase}",
    "{short}扎根{place}，团队{team}人，擅长{services}，累计服务项目{projects}个。{phrase}",
]

INCUBATOR_SERVICES = [
    "工商注册代办",
    "创业辅导",
    "投融资对接",
    "共享实验室",
    "政策申报辅导",
    "知识产权托管",
    "人才公寓对接",
    "技术与市场对接会",
]
INCUBATOR_TEMPLATES = [
    "{name}位于{place}，运营面积约{area}平方米，累计孵化科技企业{incubated}家，在孵企业{current}家，提供{services}等服务。{phrase}",
    "{short}是{place}的科技企业孵化载体，聚焦{focus}方向的早期项目，提供{services}等全链条服务。{phrase}",
]

# Researchers: positions by organization kind and title.
INSTITUTE_POSITIONS = {
    "senior": ["研究员", "研究员、博士生导师", "研究员、课题组长", "研究员、研究室主任", "正高级工程师"],
    "associate_senior": ["副研究员", "副研究员、课题组长", "高级工程师", "高级实验师"],
    "intermediate": ["助理研究员", "工程师", "实验师"],
    "junior": ["研究实习员", "助理工程师"],
    "": ["博士后", "工程技术人员", "科研助理"],
}
ENTERPRISE_POSITIONS = {
    "senior": ["首席科学家", "总工程师", "首席技术官", "正高级工程师"],
    "associate_senior": ["研发总监", "技术总监", "高级工程师", "研发部经理", "技术副总经理"],
    "intermediate": [
        "研发工程师",
        "硬件工程师",
        "软件工程师",
        "算法工程师",
        "工艺工程师",
        "测试工程师",
        "系统架构师",
        "项目工程师",
    ],
    "junior": ["助理工程师", "研发工程师", "测试工程师", "技术员"],
    "": ["研发工程师", "技术员", "实验员", "软件开发工程师", "应用工程师"],
}
# Incubator short names by the word their full name carries.
INCUBATOR_SHORT = [
    ("众创空间", "众创空间"),
    ("创业服务", "创业服务"),
    ("创新中心", "创新中心"),
    ("", "孵化器"),
]
INCUBATOR_POSITIONS = [("运营总监", ""), ("孵化经理", ""), ("创业导师", "intermediate")]

INSTITUTE_EXPERTISE = [
    "主要从事{a}、{b}方向研究",
    "长期从事{a}与{b}研究，在{c}方面取得系统性成果",
    "研究方向：{a}、{b}、{c}",
    "从事{a}关键技术研究及工程化应用",
]
ENTERPRISE_EXPERTISE = [
    "负责{a}、{b}产品研发",
    "从事{a}与{b}的工程化开发",
    "专注{a}相关产品设计与测试",
    "主持{a}、{b}方向技术攻关",
]
# For researchers without a senior title: they take part rather than lead.
JUNIOR_EXPERTISE = [
    "参与{a}、{b}方向课题研究",
    "参与{a}相关产品开发与测试",
    "负责{a}相关实验与测试",
    "从事{a}与{b}的技术支持工作",
]
EXPERT_BIOS = [
    "{name}，{honor}现任{org}{position}。{expertise}。主持或参与国家重点研发计划、国家自然科学基金等项目{projects}项，授权发明专利{patents}项。",
    "{name}，{honor}{org}{position}。{expertise}。发表学术论文{papers}余篇，多次担任科技项目评审专家。",
    "{name}，{honor}现任{org}{position}。{expertise}。曾获省部级科技奖励{awards}项，熟悉科技成果转化与产业化。",
]
PROVIDER_BIOS = [
    "{name}，{org}{position}，从业{years}年，擅长{expertise}。",
    "{name}现任{org}{position}，长期为科技企业提供{expertise}等服务，从业{years}年。",
]
ACADEMICIAN_TITLES = ["中国科学院院士", "中国工程院院士"]
PROVIDER_EXPERTISE = {
    "ip": "专利挖掘布局、高价值专利培育与知识产权运营",
    "law": "技术合同、股权激励与知识产权争议解决",
    "accounting": "研发费用归集、高新技术企业专项审计与税务筹划",
    "finance": "早期科技项目投资评估与科技金融产品设计",
    "testing": "检验检测方案设计、计量校准与质量体系建设",
    "consulting": "科技项目申报、企业研发管理与政策咨询",
    "transfer": "科技成果评估、技术经纪与成果转化方案设计",
}


# Investment institutions (投资机构): name pattern, short-name suffix, what it is, the stages it invests in.
INVESTOR_PATTERNS = [
    ("{city}{brand}创业投资管理有限公司", "创投", "创业投资机构", "天使轮、A 轮"),
    ("{city}科技创新{brand}投资基金（有限合伙）", "科创基金", "政府引导的科技创新基金", "种子期、初创期"),
    ("{brand}天使投资有限公司", "天使", "天使投资机构", "种子轮、天使轮"),
    ("{city}{brand}产业投资集团有限公司", "产投", "国有产业投资平台", "A 轮至 Pre-IPO"),
    ("{brand}资本管理有限公司", "资本", "私募股权投资机构", "B 轮及以后"),
    ("{city}{brand}科技金融服务有限公司", "科技金融", "科技金融服务机构（投贷联动）", "初创期、成长期"),
]
INVESTOR_TEMPLATES = [
    "{name}是一家{kind}，位于{place}，管理基金规模约{fund}亿元，重点关注{stages}的硬科技项目，已投项目{projects}个。",
    "{short}（{kind}）聚焦{stages}，累计投资科技企业{projects}家，管理资金约{fund}亿元，常驻{place}参与项目路演。",
]
