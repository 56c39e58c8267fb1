"""Need status: is a service the text names wanted, already done, or declined?

"客户只要测试报告，不需要CE证书" names CE but does not want it; "检测报告已经拿到了，就差证书" has
the report and wants the certificate. Negation governs the clause it stands in, not the whole
text: the request is cut into micro-clauses at punctuation and at contrast words (而是, 但是, 就差,
现在想 …), each micro-clause gets a polarity from its cue words, and a need takes the status of
the micro-clauses that carry it. A need carried by any wanted (or neutral) micro-clause is wanted.

Cues are general Chinese (and English, Cantonese) grammar, not a list of requests: 不需要/不用/
暂不/不打算 decline, 已经…拿到/注册了/早就有 report something done, and the first half of
不是A而是B is declined. Questions (要不要, 需不需要, 用不用, …吗) are not negations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

WANTED, DONE, DECLINED = "wanted", "done", "declined"
STATUSES = (WANTED, DONE, DECLINED)

# Where a micro-clause ends: punctuation, and before words that turn to what is wanted now.
_TURN = (
    r"而是|但是|但|可是|不过|只是|只要|只需要?|就差|还差|只差|缺的是|现在想|现在要|现在需要|目前想|"
    r"目前需要|接下来|下一步|这次想|这次要|今年想|今年要|想再|再想|还想|还要|另外|"
    r"\bbut\b|\binstead\b|\bonly\b|\bjust need\b|\bnow (?:we )?(?:need|want)\b|"
    r"\bwhat (?:we|I) (?:need|want)\b|"
    r"而係|但係|不過|淨係|只係"
)
# Not at 、: a list shares its predicate ("品牌推广、品牌设计都不用推荐").
# Chat pastes separate their clauses by spaces ("加油机要检定 然后还有 安全生产标准化").
_SPLIT = re.compile(
    rf"[，,。；;！!？?\n]+|(?<=[a-z0-9\u4e00-\u9fff])\.(?:\s+|$)|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])"
    rf"|(?=(?:{_TURN}))",
    re.IGNORECASE,
)

# Declining: a negated need word. Lookbehinds keep questions out (要不要, 需不需要, 用不用, 是不是).
_DECLINED = re.compile(
    r"(?<![要需用是])(?:不需要|不需|不用|无需|毋需|不必|没必要|用不着|不要|不想|不打算|不考虑|不准备|"
    r"不做|不办|不申请|不搞|不弄|不找|不是要|不是想|不是做|不是办|并非|暂不|暂时不|先不|不再|"
    r"不牵头|不参与|不参加|不报了|不送了|"
    r"不在考虑|免了|没打算|没想|唔使|唔需要|唔要|唔想|唔做|唔係要|"
    # deferring is declining for now ("认证以后再说")
    r"以后再说|以后再考虑|再说吧|先放一放|先不急|不急着|往后放|暂且不|"
    # giving something up: "报告就算了", "那个算了吧"
    r"(?:就|也|那就|还是|先)算了|算了吧|^\s*算了)"
    r"|(?:暂缓|放弃|取消|撤销|撤回)(?:办理|申请|做)?"
    r"|\b(?:no need|not need|don't need|do not need|doesn't need|does not need|don't want|"
    r"do not want|not looking for|not interested in|no longer need|not going for|not pursuing|"
    r"not planning (?:to|on)|no plans? (?:to|for)|not applying for|won't need|will not need)\b",
    re.IGNORECASE,
)
# Done: something the enterprise already has or has finished.
_DONE_VERB = (
    r"(?:拿到|取得|获得|获证|下证|拿证|通过|办好|办完|办了|办过|做完|做好|做过|做了|注册|申请|认证|"
    r"检测|检定|校准|备案|登记|公开|发布|评上|认可|授权|完成|具备|有|出来|出了|下来|批了|搞定|弄好)"
)
# Words after 已经 that report a problem still to be solved, not something done (已经过期了).
_NOT_DONE = r"过期|到期|失效|作废|超期|坏|不准|不合格|驳回|被|抢注|退回|快到期|用了"
_DONE = re.compile(
    rf"(?:已经|已|早就|早已|早都|之前就|都已经|去年就|前年就|上个?月就?|刚刚?){_DONE_VERB}"
    rf"|(?<![尽趁提越想要])早{_DONE_VERB}"
    r"|(?<![想要忘没未漏])(?:拿到|取得|获得|下证|拿证|通过|办好|办完|做完|做好|注册好|注册|搞定|弄好|下来|有|"
    r"公开|发布|登记|备案|认可|批|检完|测完|审完|评完|验完|搞完|弄完|交|缴|齐|约好|送检|申请)了"
    r"|(?:申请|办|做|弄|搞|登记|备案|认证|检测|校准|检定|设计)好了|(?<![要想])(?:也|都)(?:办|做|弄|搞)了"
    # what the firm holds or has someone for: "CNAS资质都有", "我们有合作单位", "自己有团队在做"
    r"|(?:证书|资质|认证|报告|商标|专利|体系)[^，,。；;]{0,4}(?:都|也|早就|已经)(?:有|齐|全)了?\s*$"
    r"|(?:有|找了|找好了)(?:固定的?|长期的?)?(?:合作单位|合作机构|合作的机构|代理机构|代理(?:人|商)?|合作方)"
    r"|自己有(?:人|团队|实验室)|有(?:专门的?)?(?:团队|人)在(?:做|弄|搞|负责)"
    # a certificate still valid: "证书还在有效期内", "认证还没过期"
    r"|(?:还在|仍在|尚在|都在)有效期|(?:还|都)?没(?:有)?过期|未过期"
    r"|(?:做过|办过|拿过|通过了)"
    r"|(?:校准|检定|检测|检验|测试|认证|审核|评审|登记|备案|注册|申请|送检|年检|测|检|验|审|查)过(?![咗了]?期|程)"
    # 已经 … 了 with a few words between ("已经自我声明公开了"), unless they report a problem
    rf"|(?:已经|早就|早已|都已经)(?![^，,。；;]{{0,10}}(?:{_NOT_DONE}))[^，,。；;]{{1,10}}?了"
    r"|已(?:注册|取得|获得|通过|办理|完成|具备|有|获|持有|拥有)"
    # what the enterprise says it holds: "我们的产品有CE认证", "公司有ISO9001证书"
    r"|^(?:(?:我们|我司|本公司|我厂|咱们)的?(?:公司|工厂|厂|产品|企业)?|公司|厂里|产品|企业)"
    r"(?:是|都|也|已经|早就)?有(?!没有)"
    r"[^，,。；;]{0,12}?(?:证书|认证|资质|商标|专利)"
    r"|(?:攞咗|拎咗|做咗|搞咗|辦咗|办咗|有咗|整咗|攞到|做好咗)"
    r"|\b(?:already (?:have|has|had|got|hold|holds|obtained|passed|registered|done|did|certified|"
    r"finished|completed)|(?:have|has|had) already|was already|were already|is already)\b",
    re.IGNORECASE,
)
# 把 … 了 asks for something to be done ("顺便把商标也注册了"), unless 已/早 say it was.
_DISPOSAL = re.compile(r"把(?!.*(?:已|早|之前|去年))")
# A refusal with no object of its own ("不用推荐", "不需要你们这边") governs the clause before it
# ("计量校准这块我们有合作单位，不用推荐").
_OBJECTLESS_REFUSAL = re.compile(
    r"^\s*(?:这个|这块|这些|那些|那个|这方面)?(?:就|也|都|暂时|先|目前|现在)?"
    r"(?:不用|不需要|不必|无需|用不着|不要|暂不需要|暂时不需要)(?:了|啦)?"
    r"(?:你们|平台|这边|贵方|你们这边|再)?(?:推荐|介绍|对接|安排|帮忙|麻烦(?:你们)?|操心|联系|管|约)?"
    r"(?:了|啦|哈|啊|的)?\s*$"
)
# The writer says nothing is needed now: what it only mentions is not asked for.
_NOTHING_NEEDED = re.compile(
    r"没(?:有)?(?:什么|啥)?(?:别的|其他|其它)?(?:需要|要)(?:办|做)?的?(?:了|事)?\s*$|没有其他需[要求]|"
    r"暂时(?:没有|没)(?:什么)?需[要求]|不用麻烦(?:你们)?了|先不用(?:登记|办|麻烦)了|"
    r"没(?:有)?(?:什么|啥)?(?:别的|其他|其它)的?(?:事|事情|问题)(?:了|啦)?\s*$|"
    r"\bnothing (?:else )?(?:we need|needed|to do)\b|\bno (?:other )?needs? (?:for now|at the moment)\b",
    re.IGNORECASE,
)
# A question is not a negation: 需不需要, 是不是, 吗, 吧, ?
_QUESTION = re.compile(
    r"(?:吗|么|嘛|呢|咩|冇)\s*$|^(?:是否|要不要|需不需要|用不用)"
)  # not 吧: 取消吧
# After a done cue, a wanted cue turns the clause back: "商标注册了十年，快到期要续展".
_WANT_AFTER = re.compile(r"(?:想|要|需要|申请|办理|续展|复审|年审|换证|再做|重新|续|升级|扩项)")


# Who the writer is, not what it wants: "我们是检测机构", "本公司系认证咨询公司", "We are a lab".
_IDENTITY = re.compile(
    r"^\s*(?:我们|我司|本公司|本单位|我单位|我厂|本厂|我们公司|我们单位|我|本人|咱们|我哋|我們)"
    r"(?:这边|這邊)?(?:是|系|属于|屬於|係|为|作为)|^\s*(?:WE ARE|WE'RE|I AM|I'M|THIS IS)\b"
    # what a project or a parent company is ("项目是新建一个检测中心", "总公司是做检测的")
    r"|^\s*(?:该|本|这个|我们的?|新建)?(?:项目|工程|总公司|母公司|集团公司|公司|厂里|企业)"
    r"(?:主要)?(?:是|系|为|属于)"
    # hearsay: what the writer heard asks for nothing ("听说区里对拿到认证的企业有补助")
    r"|^\s*(?:听说|据说|听人说|我听说|听朋友说|网上说|看新闻说)",
    re.IGNORECASE,
)
_REQUEST_WORD = re.compile(
    r"想|要|需|请|找|申请|办理|帮|能否|能不能|可以|如何|怎么|怎样|哪|吗|\?|？|"
    r"\b(?:NEED|WANT|LOOKING|APPLY|HOW|WHERE|CAN|COULD|PLEASE|HELP)\b",
    re.IGNORECASE,
)


def describes_only(piece: str) -> bool:
    """A micro-clause that says who the writer is and asks for nothing ("我们是检测机构"): its
    QI words describe the writer, so it does not keep a request that another part settles."""
    return bool(_IDENTITY.search(piece)) and not _REQUEST_WORD.search(piece)


@dataclass(frozen=True)
class Clause:
    """One micro-clause and its polarity, with the cue that decided it."""

    text: str
    start: int
    end: int
    status: str  # wanted | done | declined
    cue: str = ""


def micro_clauses(text: str) -> list[Clause]:
    """The text cut where a negation's scope can end; each piece with its polarity."""
    pieces: list[tuple[int, int]] = []
    pos = 0
    for m in _SPLIT.finditer(text):
        if m.start() > pos:
            pieces.append((pos, m.start()))
        pos = max(pos, m.end())
    if pos < len(text):
        pieces.append((pos, len(text)))
    out: list[Clause] = []
    for start, end in pieces:
        piece = text[start:end]
        if not piece.strip():
            continue
        status, cue = clause_status(piece)
        # 不是A，而是B / 不是A，是B: the A half is declined even without a verb (不是认证 …).
        if (
            status == WANTED
            and re.search(r"(?<![是要需用])不是", piece)
            and re.search(
                r"而是|而係|^[，,\s]*是(?:想|要|需要|打算|准备|希望|来)", text[end : end + 40]
            )
        ):
            status, cue = DECLINED, "不是…而是"
        out.append(Clause(piece, start, end, status, cue))
    return _scope_back(out)


def _scope_back(clauses: list[Clause]) -> list[Clause]:
    """Refusals that name nothing take the clause before them; "nothing is needed" makes every
    clause that asks for nothing a mention, not a request."""
    out = list(clauses)
    for i in range(1, len(out)):
        c, prev = out[i], out[i - 1]
        if (
            c.status != WANTED
            and _OBJECTLESS_REFUSAL.search(c.text)
            and prev.status == WANTED
            and not _REQUEST_WORD.search(prev.text)
        ):
            out[i - 1] = replace(prev, status=c.status, cue=c.cue)
    nothing = next((c for c in out if _NOTHING_NEEDED.search(c.text)), None)
    if nothing is None:
        return out
    cue = nothing.text.strip()
    for i, c in enumerate(out):
        if c is nothing:
            out[i] = replace(c, status=DECLINED, cue=cue)
        elif c.status == WANTED and not _REQUEST_WORD.search(c.text):
            out[i] = replace(c, status=DONE, cue=cue)
    return out


# A refusal of the manner, not the service: "不用上门校准" still wants the calibration, done
# another way (送过去); "不用加急" still wants the test.
_MANNER = re.compile(r"上门|到现场|现场|来厂|到厂|派人|专人|加急|当面|跑一趟|跑腿|亲自")


def clause_status(piece: str) -> tuple[str, str]:
    """Polarity of one micro-clause: the first decisive cue, questions excepted."""
    if _QUESTION.search(piece.strip()):
        return WANTED, ""
    d = _DECLINED.search(piece)
    if d and _MANNER.match(piece, d.end()):
        d = None
    if d:
        return DECLINED, d.group(0)
    m = _DONE.search(piece)
    if m and not _WANT_AFTER.search(piece, m.end()) and not _DISPOSAL.search(piece[: m.start()]):
        return DONE, m.group(0)
    return WANTED, ""


def status_of(spans: list[tuple[int, int]], clauses: list[Clause]) -> tuple[str, str]:
    """A need's status from the spans of text that carry it: wanted if any carrying micro-clause
    is wanted; else the status of the first one (done or declined); wanted when nothing is found
    (a need read from the whole text is taken as asked for)."""
    carrying = [c for c in clauses if any(s < c.end and c.start < e for s, e in spans)]
    if not carrying or any(c.status == WANTED for c in carrying):
        return WANTED, ""
    return carrying[0].status, carrying[0].cue
