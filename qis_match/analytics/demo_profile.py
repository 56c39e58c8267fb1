"""The shape of the demo year of demand: where requests come from, which industries ask for what,
and when. Fictional, but weighted after the seeds: the Hubei and Hunan plans and the Shenzhen rules
(Hubei, Hunan and Guangdong/Shenzhen carry most of the demand), plus neighbouring provinces the demo
catalog does not cover, so that unmet demand shows up. Industries are GB/T 4754-2017 divisions.
"""

from __future__ import annotations

# Province → (share of requests, {city: weight}); cities missing from the demo catalog are included
# on purpose (Guangdong's 湛江/肇庆/清远/揭阳 and the neighbouring provinces).
REGIONS: dict[str, tuple[float, dict[str, float]]] = {
    "湖北省": (
        0.30,
        {
            "武汉市": 5,
            "宜昌市": 1.5,
            "襄阳市": 1.5,
            "荆州市": 1.2,
            "黄石市": 0.8,
            "十堰市": 0.8,
            "孝感市": 0.8,
            "荆门市": 0.6,
            "鄂州市": 0.4,
            "黄冈市": 0.8,
            "咸宁市": 0.5,
            "随州市": 0.5,
            "恩施土家族苗族自治州": 0.6,
            "仙桃市": 0.3,
            "潜江市": 0.3,
            "天门市": 0.3,
            "神农架林区": 0.1,
        },
    ),
    "湖南省": (
        0.28,
        {
            "长沙市": 5,
            "株洲市": 1.5,
            "湘潭市": 1.0,
            "衡阳市": 1.2,
            "岳阳市": 1.2,
            "常德市": 1.0,
            "郴州市": 0.8,
            "邵阳市": 0.8,
            "益阳市": 0.6,
            "永州市": 0.6,
            "怀化市": 0.6,
            "娄底市": 0.6,
            "张家界市": 0.3,
            "湘西土家族苗族自治州": 0.4,
        },
    ),
    "广东省": (
        0.28,
        {
            "深圳市": 5,
            "广州市": 3,
            "东莞市": 2,
            "佛山市": 2,
            "中山市": 0.8,
            "珠海市": 0.6,
            "惠州市": 0.8,
            "江门市": 0.5,
            "汕头市": 0.6,
            "湛江市": 0.5,
            "肇庆市": 0.4,
            "清远市": 0.3,
            "揭阳市": 0.4,
        },
    ),
    "江西省": (0.05, {"南昌市": 3, "赣州市": 1.5, "九江市": 1}),
    "河南省": (0.04, {"郑州市": 3, "洛阳市": 1.5, "南阳市": 1}),
    "广西壮族自治区": (0.03, {"南宁市": 2, "柳州市": 1.5}),
    "重庆市": (0.02, {"重庆市": 1}),
}

# Industry divisions asked most per city (weights); the province default covers the rest.
INDUSTRY_BY_PROVINCE: dict[str, dict[str, float]] = {
    "湖北省": {
        "36": 3,
        "39": 2,
        "26": 1.5,
        "13": 2,
        "14": 1.5,
        "34": 1.5,
        "33": 1,
        "27": 1,
        "30": 1,
        "17": 0.8,
        "38": 1,
        "15": 0.8,
    },
    "湖南省": {
        "35": 3,
        "37": 1.5,
        "13": 2,
        "14": 2,
        "39": 1.5,
        "38": 1,
        "26": 1,
        "33": 1,
        "30": 1,
        "27": 0.8,
        "15": 0.8,
        "32": 0.8,
    },
    "广东省": {
        "39": 4,
        "38": 3,
        "24": 1.5,
        "21": 1.2,
        "18": 1.2,
        "29": 1.2,
        "33": 1,
        "14": 1,
        "27": 0.8,
        "35": 0.8,
        "36": 1,
        "65": 1,
    },
}
INDUSTRY_DEFAULT = {
    "13": 2,
    "14": 2,
    "33": 1.5,
    "34": 1.5,
    "38": 1.5,
    "39": 1.5,
    "30": 1,
    "26": 1,
    "29": 1,
    "18": 0.8,
    "36": 1,
}
INDUSTRY_BY_CITY: dict[str, dict[str, float]] = {
    "武汉市": {"36": 4, "39": 4, "27": 1.5, "34": 1.5, "65": 1.5},
    "十堰市": {"36": 5},
    "襄阳市": {"36": 3, "13": 2},
    "宜昌市": {"26": 4, "15": 2},
    "荆州市": {"13": 3, "17": 1},
    "恩施土家族苗族自治州": {"15": 4, "13": 2, "01": 1.5},
    "潜江市": {"13": 4},
    "长沙市": {"35": 4, "39": 2, "14": 1.5, "27": 1.5, "65": 1},
    "株洲市": {"37": 5, "32": 1.5},
    "湘潭市": {"31": 3, "38": 1.5},
    "湘西土家族苗族自治州": {"15": 3, "13": 2, "01": 2},
    "岳阳市": {"25": 2, "26": 2, "13": 1.5},
    "深圳市": {"39": 6, "38": 3, "65": 2, "35": 1.5, "40": 1},
    "东莞市": {"39": 3, "24": 2, "18": 2, "21": 1.5, "29": 1.5},
    "佛山市": {"38": 4, "21": 3, "33": 2, "30": 1.5},
    "中山市": {"38": 5},
    "汕头市": {"24": 5, "18": 1.5},
    "广州市": {"36": 2, "27": 1.5, "14": 1.5, "39": 2, "18": 1},
}

# Sub-services asked for, by industry division; BASE_NEEDS are asked by everybody.
BASE_NEEDS: dict[str, float] = {
    "metrology.verification": 2.5,
    "metrology.calibration": 1.5,
    "ip.trademark": 1.0,
    "ip.patent": 1.0,
    "standards.enterprise": 0.8,
    "quality.system": 0.8,
    "certification.management_system": 1.2,
    "quality.training": 0.4,
    "brand.strategy": 0.4,
    "other.special_equipment": 0.6,
    "testing.diagnosis": 0.4,
    "standards.drafting": 0.4,
    "other.credit": 0.2,
    "quality.compliance": 0.3,
    "metrology.management": 0.3,
}
NEEDS_BY_INDUSTRY: dict[str, dict[str, float]] = {
    "01": {"testing.food": 3, "certification.green": 3, "ip.geographic": 2, "brand.regional": 2},
    "13": {
        "testing.food": 4,
        "metrology.prepackaged": 2,
        "other.article_coding": 2,
        "other.traceability": 1.5,
        "certification.green": 1.5,
        "brand.regional": 1,
    },
    "14": {
        "testing.food": 5,
        "metrology.prepackaged": 2,
        "other.article_coding": 2,
        "certification.management_system": 1.5,
        "brand.marketing": 1,
    },
    "15": {"testing.food": 3, "ip.geographic": 2, "brand.regional": 2, "certification.green": 2},
    "17": {"testing.textile": 5, "certification.export": 1},
    "18": {"testing.textile": 5, "brand.marketing": 1.5, "ip.trademark": 1.5},
    "21": {"testing.consumer": 4, "certification.green": 1.5, "testing.chemical": 1.5},
    "24": {"testing.consumer": 5, "certification.export": 2, "testing.chemical": 1},
    "25": {"testing.chemical": 3, "testing.environment": 2, "certification.carbon": 1.5},
    "26": {
        "testing.chemical": 4,
        "testing.environment": 2,
        "certification.carbon": 1.5,
        "metrology.reference_material": 1,
    },
    "27": {
        "testing.medical": 3,
        "other.clinical_trial": 2,
        "testing.chemical": 1.5,
        "metrology.reference_material": 1,
    },
    "29": {"testing.chemical": 3, "testing.mechanical": 2},
    "30": {"testing.building": 5},
    "31": {"testing.mechanical": 4, "metrology.calibration": 1.5},
    "32": {"testing.mechanical": 3, "testing.chemical": 1.5},
    "33": {"testing.mechanical": 4, "metrology.verification": 1},
    "34": {"testing.mechanical": 3, "metrology.calibration": 2, "other.special_equipment": 1.5},
    "35": {
        "testing.mechanical": 3,
        "testing.medical": 1.5,
        "testing.reliability": 1.5,
        "standards.drafting": 1,
        "quality.methods": 1,
    },
    "36": {
        "testing.mechanical": 3,
        "metrology.calibration": 2,
        "quality.methods": 2,
        "certification.management_system": 1.5,
        "testing.reliability": 1,
    },
    "37": {"testing.mechanical": 3, "testing.reliability": 2, "standards.drafting": 1.5},
    "38": {
        "testing.electrical": 5,
        "certification.ccc": 3,
        "certification.export": 2,
        "testing.battery": 1,
        "testing.reliability": 1,
    },
    "39": {
        "testing.electrical": 4,
        "testing.reliability": 2,
        "certification.export": 2,
        "testing.battery": 1.5,
        "ip.patent": 1.5,
        "ip.ic_layout": 0.5,
        "testing.chemical": 1,
    },
    "40": {"metrology.calibration": 3, "metrology.measurement_test": 2},
    "65": {"ip.copyright": 4, "certification.management_system": 1.5, "standards.consulting": 1},
}

# Month weights (Jan … Dec): the Spring Festival lull, 质量月 in September, the year-end rush.
MONTHS = [0.8, 0.55, 1.0, 1.05, 1.05, 1.0, 0.95, 0.9, 1.15, 1.0, 1.1, 1.2]
# Extra seasonality by category: metrology verification before year end, food before the
# Mid-Autumn and Spring festivals, export certification before the spring and autumn fairs.
MONTHS_BY_CATEGORY: dict[str, list[float]] = {
    "metrology": [0.8, 0.7, 1.0, 1.0, 0.9, 0.9, 0.9, 0.9, 1.0, 1.1, 1.4, 1.6],
    "testing.food": [1.4, 0.9, 0.8, 0.8, 0.9, 1.0, 1.1, 1.5, 1.5, 0.9, 0.9, 1.3],
    "certification.export": [1.2, 1.0, 1.4, 1.1, 0.9, 0.8, 1.0, 1.2, 1.3, 1.0, 0.8, 0.7],
}

# Needs the demo catalog cannot serve well (no or weak capability): real QI questions about
# fields the fictional catalog leaves out. No standard numbers are named.
HARD_NEEDS: list[str] = [
    "民用无人机整机要做适航审定，不知道找哪里",
    "我们的工业无人机要做飞控系统可靠性验证和适航取证",
    "通用航空飞机零部件适航取证，需要咨询机构",
    "核级阀门要做抗震鉴定试验",
    "核电站用电缆需要做核级鉴定试验",
    "核安全级设备鉴定，想找有资质的实验室",
    "船用柴油机要办入级检验，找船级社",
    "出口游艇需要船级社检验和认证",
    "海洋工程装备的防腐涂层要做长期耐盐雾评估",
    "化妆品美白祛斑功效评价，要人体功效试验",
    "防晒化妆品SPF值人体测试找哪家",
    "化妆品功效宣称评价报告怎么出",
    "APP个人信息保护合规评估",
    "汽车软件要做ASPICE过程能力评估",
    "工业控制软件功能安全认证咨询",
    "芯片要做HTOL高温老化可靠性试验",
    "晶圆表面缺陷分析找不到实验室",
    "氢燃料电池电堆性能测试",
    "加氢站储氢瓶要做定期检验",
    "宠物饲料营养成分检测和标签审核",
]
# Requests that are not QI at all (the matcher should abstain).
NOT_QI: list[str] = [
    "想办营业执照，需要准备什么材料",
    "咨询一下社保怎么给员工交",
    "公司想申请银行贷款",
    "厂房租赁合同有纠纷怎么办",
    "招聘两个质检员，有没有人推荐",
    "想问下高新技术企业税收优惠政策",
]

INTROS = [
    "我们是{city}一家做{kw}的小企业，",
    "{city}{kw}企业，",
    "我们公司主要做{kw}，",
    "",
    "",
    "你好，我们是做{kw}的，",
]
ENTERPRISE_ROOTS = [
    "华星",
    "瑞丰",
    "金达",
    "恒信",
    "宏远",
    "鑫源",
    "博创",
    "中科",
    "新锐",
    "嘉禾",
    "润泽",
    "凯旋",
    "天成",
    "远航",
    "联创",
    "正泰",
    "永兴",
    "精工",
    "海纳",
    "卓越",
]
CONTACTS = ["联系人王经理", "联系人李工", "张先生", "刘女士", "联系人陈主任"]

SHARES = {
    "hard": 0.07,  # needs the catalog cannot serve well
    "not_qi": 0.03,
    "two_needs": 0.28,
    "three_needs": 0.07,
    "region_argument": 0.82,  # the clerk enters the region; otherwise the text names it (or not)
    "region_in_text": 0.12,
    "enterprise_named": 0.35,
    "contact": 0.2,
    "ticket": 0.45,  # served requests that become a ticket
}
