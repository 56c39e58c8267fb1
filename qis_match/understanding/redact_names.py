"""Word lists for finding person names in Chinese text (used by ``redact``).

A name is a surname (single or compound) and one or two given-name characters, or a surname and a
title (王经理, 张工), or a nickname (小王, 老李). Where no label marks it (联系人, 我叫, …) a candidate
must also look like a name: given-name characters from the common set below, and not one of the
everyday words that merely start with a surname character (黄金, 高新, 周期, 方便 …).
"""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池乐匡钮萧"
    # rarer ones
    "禚逯冼亓仝芮蔺訾眭宓晁綦鄢笪扈郜郦隗阙闻揭粟蔚麻融厉郗缑璩竺茅荆勾谈汝鞠燕储郁井"
    # from the 百家姓, those that are no everyday word on their own
    "奚昝裘贲嵇荀邴糜钭戎蓟邰赖屠胥莘逄郤濮冀郏茹庾暨殳夔厍阚乜蒯桓邝洪湛禹狄伏酆汲羿韶雍谯庹朴迟檀苑晋宦"
    # common surnames that are also parts of everyday words (宣传, 步骤, 练习, 杭州, 学习, 凤凰, 展会):
    # the words are in the dictionary, so the name rules see a word, not a name, there
    "宣步戈练杭习凤展查"
)

# Compound surnames, matched before the single ones (欧阳娜娜 is 欧阳 + 娜娜, not 欧 + 阳娜).
COMPOUND_SURNAMES = _words(
    "欧阳 司马 诸葛 上官 东方 皇甫 慕容 令狐 司徒 夏侯 尉迟 宇文 端木 长孙 公孙 轩辕 西门 独孤 南宫 "
    "呼延 万俟 澹台 申屠 闻人 钟离 宗政 濮阳 太史 淳于 赫连 公冶 东郭 拓跋 闾丘 左丘 百里 司空 第五"
)

# Characters common in given names (a name found without a label must use these).
NAME_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华文辉建玲红玉兰萍鹏飞鑫宇浩凯俊帅波斌宁峰海亮林琳"
    "颖婷雪梅慧莉燕凤春晓晨阳欣佳怡琪瑶雨桐思远梦嘉子涵轩博宏志国庆德福祥荣生龙虎山川江松柏竹菊荷莲蓉"
    "芬珍珠琴婉清雯倩茜蕾薇露霏雅淑贤惠洁瑞蕊璐璇琦瑜瑛珊萱菲妍妮姗娇媛婧岚彤丹青翠碧月星云霖泽润渊源"
    "沛洪澄瀚凡一兵毅武威雄豪彬滨健康安和顺立永振兴旭昊晟晖煜炜烨熙鸿鹤翔腾达航帆舟成功宏诚信义仁礼"
    "智忠贵富财铭锋钢锐岩岭坤培垚尧舜禹汉晋楚光耀晶冰霜冬夏秋雷宙天乾泰恒冠正奇旋胜利全友朋良善厚"
    "仲伯学卫民东澜涌潮泉溪淼森树芝蕙芸莹萌茂菁芹茹若苒莎蓓莺鹃凰麟骏驰骁辰昕昀晗晴曦曼蔓妙娅婵姣"
    "嫣娥婕姿韵音乐歌诗书翰章彦彰钧铮锦绣纯绮缘紫虹风念怀恩慈忆悦怡恬甜悠逸宸睿哲聪捷灵美琼瑾璟琛"
    "珂玮琰瑄玥冉然尔可以之亦诺依梓馨语心钰新小大金银鸣超皓彤倩欢喜乔峻崇嵩巍岳松筠笑迪娴婉霄"
    "家春秀梅桂凤兰英珍香翔宝贝奎魁豹鹰雁鹭鹂莺凌冲柱铁多根虎豪彪旺发財勤俭朴实涵"
)

# Regular-expression pieces for a surname (compound ones first: 欧阳娜娜 is 欧阳 + 娜娜).
SURNAME_1_RE = f"[{SINGLE_SURNAMES}]"
SURNAME_RE = "(?:" + "|".join(COMPOUND_SURNAMES) + f"|{SURNAME_1_RE})"
HAN_RE = r"[\u4e00-\u9fff]"
# Conjunctions a name does not end in (安宁|和胡杨), and the last characters of places, not of
# names (何家村, 王家镇).
CONJUNCTIONS = frozenset("和与及同跟")
PLACE_LAST_CHARS = frozenset("村镇乡县市区路街巷庄港湾岛省州厂店楼馆站场")

# Titles and honorifics attached to a surname. Strong ones mark a person wherever they follow a
# surname; weak ones (总, 工 …) only where the next character does not make a word with them.
STRONG_TITLES = _words(
    "副总经理 总经理 董事长 秘书长 工程师 社长 行长 店长 村长 镇长 总监 总裁 总工 经理 主任 主管 厂长 老板 老总 先生 女士 小姐 师傅 会计 "
    "科长 部长 处长 局长 院长 所长 站长 秘书 助理 老师 教授 博士 医生 律师 专员 队长 组长 班长 书记 校长 "
    "董事 阿姨 大姐 大哥 姐姐 哥哥"
)
WEAK_TITLES = ("总", "工", "姐", "哥", "叔", "姨", "董")
# What may not follow a weak title (the title character would then be part of a word: 总部, 工程).
WEAK_TITLE_NOT_BEFORE = {
    "总": set(
        "部额量数价计共体结局厂公线站院包值和成则务署队会台装质重条目表分账统揽之归是有算指控"
    ),
    "工": set("程人厂作资具艺序期业商会地位种件况控装单段时区友务科分伤龄钱效卡号整休农兵贸信部"),
    "姐": set("妹弟"),
    "哥": set("们弟"),
    "叔": set("伯叔"),
    "姨": set("妈"),
    "董": set("事"),
}

# Everyday words that start with a surname character: never a name unless a label says so.
NOT_NAMES = {
    w
    for w in _words(
        "高新 高压 高温 高速 高峰期 高端 高度 高级 高效 高档 高价 高层 高校 高铁 高原 高空 高频 高分 高强 高架 "
        "金属 金额 金融 金华 金银 黄金 黄石 黄山 黄河 黄冈 黄埔 白酒 白云 白银 白色 白天 周期 周末 周围 周边 周转 "
        "周年 周岁 周一 周二 周三 周四 周五 周六 周日 马达 马路 马上 马口铁 马鞍山 程序 程度 成本 成都 成品 成果 成分 "
        "成立 成功 成员 成型 成交 成熟 成套 方案 方便 方法 方式 方向 方面 方形 关于 关键 关系 关注 关联 关闭 于是 "
        "何时 何地 何种 温度 温州 温湿 温控 温室 叶片 叶轮 孔径 孔隙 常规 常德 常州 常用 常见 常温 江河 江苏 江西 "
        "江门 江南 江北 石油 石化 石材 石家庄 林业 林地 王牌 陈皮 陈列 胡椒 张家界 张家口 宁波 宁夏 安全 安装 安徽 "
        "安阳 安庆 安康 明年 明天 明确 明细 明显 明火 华为 华南 华北 华东 华中 华西 武汉 武器 沙发 沙漠 沙子 钱包 "
        "包装 包括 包含 包头 包材 车间 车辆 车型 车载 车身 路线 路面 路灯 时间 时候 时限 时效 全部 全国 全面 全省 "
        "全市 全年 全程 全套 应用 应该 应急 应当 文件 文化 文本 文字 万元 万能 万吨 万台 单位 单价 单据 单号 单元 "
        "曲线 管道 管理 管材 管件 房屋 房产 商标 商品 商务 商场 商户 商业 和平 任何 任务 任意 向上 易燃 易碎 "
        "龙头 龙岩 龙岗 龙华 秦皇岛 连接 连续 连云港 冷库 冷链 冷却 冷藏 毛重 毛坯 牛奶 牛肉 米面 麦芽 "
        "苏州 苏打 雷达 杜绝 杭州 贵州 贵阳 吉林 吉安 云南 南宁 南京 东方雨虹 上海 长沙 长春 长江 长城 司法 "
        "宋体 邮政 卫生 卫浴 景区 景德镇 党员 党建 宫颈 米粉 谷物 蒙古 康复 乐器 乐山 余额 余量 石灰 项目 费用 "
        "尤其 解决 解释 齐全 左右 甘肃 祝贺 符合 舒适 简单 简易 师傅 骆驼 霍尔 滕州 屈服 梅州 柯桥 凌晨 毕业 季度 "
        "裴 盛行 谷歌 游戏 辛苦 靳 柴油 鲍鱼 华夏 喻 祁连 蒲公英 饶平 艾草 农业 农药 农产品 司机 卓越 古镇 古代 吉祥 "
        "缪 简介 车辆 项链 连锁 芦荟 麦克风 褚 娄底 窦 戚 景观 党政 宫殿 费率 卜 冷水 晏 席位 卫星 米兰 柏油 宗教 "
        "桂林 桂花 全称 佟 应届 臧 闵行 苟 边境 边框 卞 姬 师范 和谐 仇 栾 隋 商会 刁 沙市 荣誉 巫 寇 桑拿 郎 甄别 "
        "丛林 仲裁 虞 敖 巩固 明星 佘山 池塘 乐清 匡 钮扣 钟表 钟点 谭 陆续 陆地 汪 范围 贾 夏季 夏天 韦 付款 "
        "付费 傅 白卡 白板 邹 孟 熊猫 秦岭 邱 尹 薛 闫 段落 雷电 侯 史料 陶瓷 黎明 贺卡 顾客 顾问 毛巾 郝 龚 邵阳 "
        "万一 钱款 严格 严重 覃 武装 戴 莫名 孔雀 向导 汤圆 常务 温馨 康师傅 施工 文明 牛仔 樊 葛 邢台 安排 齐齐哈尔 "
        "易拉罐 乔木 伍 庞大 颜色 倪 庄园 聂 章程 鲁棒 岳阳 翟 殷 詹 申请 申报 欧洲 欧盟 耿 关口 兰州 焦炭 焦作 "
        "俞 左侧 柳州 甘蔗 祝 包子 宁德 尚未 符号 舒 阮 柯 纪律 纪念 梅花 童装 童车 凌源 杨梅 杨树 李子 刘海 陈旧 "
        "张贴 张力 赵 吴江 周口 徐州 孙子 朱砂 胡萝卜 郭 何况 罗马 罗盘 郑州 梁山 谢谢 唐山 许可 韩国 冯 邓 曹 "
        "商超 商家 店家 农家 东家 车主 房东 房主 业主 王老吉 老干妈 老凤祥 周大福 周大生 周生生 周黑鸭 李宁 李锦记 "
        "王守义 王致和 杜康 张裕 张小泉 马应龙 海底捞 东方雨虹 东方明珠 曹操出行 孔府家 康师傅 古董 "
        # units and instruments named after scientists (metrology text is full of them)
        "牛顿 焦耳 欧姆 安培 高斯 韦伯 伏特 肖氏 邵氏 马弗炉 傅立叶 傅里叶 洪堡 "
        "习武 习俗 展览 展品 凤凰 步伐 练功 杭州 宣纸 戈壁 "
        "彭 曾经 肖像 田间 田地 董事会 袁 潘 蒋 蔡 余杭 叶子 苏宁 魏 吕梁 丁香 沈阳 姚 卢 姜黄 崔 邢 水"
    )
    if len(w) >= 2
}

# Two characters ending in a surname character that form a common word (安全, 工程, 对方): the
# surname character there is not the start of a name, so 安全科长 is no 全科长.
WORD_BEFORE_SURNAME = set(
    _words(
        "安全 完全 健全 齐全 周全 保全 工程 流程 过程 课程 行程 日程 章程 规程 进程 全程 对于 关于 由于 至于 属于 "
        "位于 基于 用于 在于 等于 大于 小于 高于 低于 多于 少于 终于 处于 便于 易于 利于 如何 为何 任何 几何 完成 "
        "形成 构成 组成 生成 造成 达成 合成 集成 变成 促成 建成 制成 赞成 现成 提高 最高 升高 双方 对方 甲方 乙方 "
        "一方 官方 配方 处方 地方 前方 后方 各方 厂方 买方 卖方 校方 院方 资金 黄金 现金 基金 合金 租金 奖金 押金 "
        "定金 订金 说明 证明 透明 文明 发明 声明 照明 标明 注明 表明 中文 英文 公文 论文 条文 正文 原文 全文 本文 "
        "健康 平安 公安 保安 治安 正常 日常 经常 非常 异常 通常 贸易 容易 交易 简易 中华 精华 同时 及时 临时 按时 "
        "准时 当时 小时 随时 定时 责任 信任 担任 方向 导向 面向 走向 意向 主管 监管 保管 汽车 叉车 货车 电路 线路 "
        "道路 公路 铁路 海关 机关 相关 开关 有关 公关 打包 承包 分包 厂房 机房 库房 厂商 客商 供应 响应 相应 适应 "
        "反应 对应 效应 背景 前景 场景 主席 总和 饱和 温和 维修 检修 人员 领导 公司 上司 仓储 首席 主任 "
        "班主任 品管"
    )
)

# 小X / 老X that are words, not nicknames (小时, 小米, 老师 …).
NOT_NICKNAMES = set(
    _words(
        "小时 小于 小程 小米 小麦 小康 小包 小车 小孔 小管 小房 小商 小龙 小马 小项 小单 小牛 小苗 小田 小金 "
        "小方 小路 小型 小区 小微 小吃 小组 小计 小额 小件 小样 小批 小学 小毛 小童 小史 小雷 小卫 小冷 小桂 "
        "小全 小成 小应 小和 小乔 "
        "老师 老毛 老牛 老乡 老龙 老黄 老农 老房 老车 老路 老成 老于 老方 老化 老年 老人 老板 老式 老旧 老是 老款 "
        "老区 老家 老客 老厂 老干 老百 老字 老大 老二 老总 老汤 老城 老街 老窖 老凤 老庙 "
    )
)
# Latin given name + pinyin surname (Kevin Zhang): the common pinyin surnames.
PINYIN_SURNAMES = _words(
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo Zheng Liang Xie "
    "Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Yuan Pan Yu Jiang Cai Du Ye Cheng Su Wei Lv Lyu "
    "Ding Ren Shen Yao Lu Cui Zhong Tan Fan Jin Shi Liao Jia Xia Fu Fang Bai Zou Meng Xiong Qin Qiu Yin "
    "Xue Yan Duan Lei Hou Long Tao Li Mao Hao Gong Shao Wan Qian Dai Mo Kong Xiang Chang Wen Kang Qi Qiao "
    "Ouyang Situ Shangguan Zhuge Sima"
)

# Verbs and adverbs that may follow a label without being a name (负责人安排, 申请人申报).
NOT_NAMES_AFTER_LABEL = set(
    _words(
        "安排 安装 申请 申报 解决 解释 应该 应当 商量 商定 同意 及时 马上 明天 明确 全部 全面 全权 和 "
        "方面 方式 单位 签字 签名 确认 说明 商议 安全 管理"
    )
)
# Surname characters that are also common function words: with a title they must start a clause
# or follow a label (和律师对接 is "and a lawyer", 于经理 at the start is Mr Yu).
FUNCTION_SURNAMES = set("和于向时成全应连及查")
