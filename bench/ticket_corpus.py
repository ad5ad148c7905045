"""The words of the benchmark's tickets: Chinese shop conversations and English customer messages.

English customer messages are the public BANKING77 data set (``../shared/datasets/banking77``,
CC BY 4.0: 10,003 real-world customer questions); Chinese ones are built from templates of what
shoppers of an online store write (快递没到, 退款, 发票 …) crossed with products, because no
public Chinese set ships with the repository. Agents' replies and internal notes come from
templates in both languages.

Every text is cut into search terms once, with the ticketing plugin's own tokenizer, and the
terms of a ticket are the union of its texts' terms (the index is a set of terms; the benchmark
checks on a sample that the union equals what the plugin computes for the whole ticket).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from ccokit.plugins.ticketing.services.search.tokens import document_terms

BANKING77 = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "banking77" / "train.csv"

PRODUCTS = (
    "蓝牙耳机", "保温杯", "羽绒服", "运动鞋", "电饭煲", "扫地机器人", "面膜", "婴儿推车", "机械键盘",
    "茶叶礼盒", "洗衣液", "行李箱", "台灯", "手机壳", "空气炸锅", "瑜伽垫", "咖啡豆", "儿童绘本",
    "电动牙刷", "真丝围巾", "登山包", "猫粮", "智能手表", "床上四件套",
)
ZH_SUBJECTS = (
    "{p}一直没有发货", "快递三天了还没到，{p}什么时候能收到", "申请退款：{p}有质量问题",
    "{p}尺寸不合适想换货", "收到的{p}破损了", "{p}的发票怎么开", "优惠券买{p}时无法使用",
    "会员积分买{p}后没到账",
    "咨询{p}的保修政策", "{p}物流信息一直不更新", "{p}少发了一件", "{p}和描述不符，要求退货退款",
    "{p}可以七天无理由退货吗", "{p}什么时候补货", "{p}能不能开增值税专用发票", "想改一下{p}的收货地址",
    "{p}颜色发错了", "双十一买的{p}价格保护", "{p}的赠品没有收到", "投诉：{p}客服一直不回复",
)
ZH_DESCRIPTIONS = (
    "我上周下单的{p}到现在还没有动静，麻烦帮忙查一下。",
    "打开包装发现{p}有划痕，外箱也压坏了，希望尽快处理。",
    "{p}用了两天就坏了，请问怎么申请售后？", "收货地址填错了，{p}还没发出的话请帮我改成公司地址。",
    "同样的{p}今天降价了，能不能退差价？", "物流显示已签收，但我没有收到{p}，快递员也联系不上。",
    "想给{p}开发票，抬头是公司名称，税号稍后提供。", "退货的{p}已经寄回三天了，退款还没到账。",
    "{p}的说明书是英文的，有没有中文版？", "我是老会员了，这次{p}的体验很差，希望给个说法。",
)
ZH_CUSTOMER = (
    "好的，谢谢，我再等等看。", "已经等了很久了，请尽快处理。", "快递单号我发你了，麻烦再催一下。",
    "退款什么时候能到账？", "照片已经上传了，你们看一下。", "能不能直接换一个新的？",
    "这个处理结果我不满意。",
    "收到了，问题已经解决，谢谢客服。", "地址是北京市朝阳区建国路，收件人不变。", "发票开好了请发我邮箱。",
)
ZH_AGENT = (
    "您好，已为您催促仓库尽快发货，预计明天发出。", "非常抱歉给您带来不便，已为您登记换货。",
    "退款已经提交，一般三到五个工作日原路退回。", "已联系快递公司核实，有结果第一时间通知您。",
    "发票会在订单完成后七个工作日内开具，请留意邮箱。", "麻烦您提供一下商品破损的照片，我们马上处理。",
    "已为您申请价格保护，差价会以优惠券形式返还。", "您的售后单已审核通过，请在七天内寄回商品。",
)
ZH_NOTES = (
    "仓库确认缺货，需要协调调拨。", "客户情绪较大，注意安抚，优先处理。", "已升级给物流组跟进。",
    "疑似恶意退款，先核实订单记录。", "老会员，可以额外补偿一张优惠券。", "财务确认退款已打款。",
)
EN_AGENT = (
    "Thanks for reaching out. I have checked your account and escalated this to our payments team.",
    "Sorry for the trouble. The refund has been issued and should arrive within 5 business days.",
    "I have reset the verification on your account; please try again and let me know.",
    "Your card is on its way and should arrive within 3 working days.",
    "The exchange rate is set by the network at the moment the payment is processed.",
    "We have cancelled the pending transaction; the money will be back in your balance shortly.",
    "Could you send us a screenshot of the error message so we can look into it?",
    "The top up failed because the card issuer declined it; please try another card.",
)
EN_NOTES = (
    "Customer contacted us three times about this, priority handling.", "Checked ledger, payment reversed.",
    "Possible fraud pattern, flagged for the risk team.", "Escalated to tier 2 payments.",
    "Refund approved by team lead.", "Waiting on the card issuer's reply.",
)


@dataclass(frozen=True)
class Texts:
    """The texts of one language and the terms of each (memoized)."""

    subjects: list[str]
    descriptions: list[str]
    customer: list[str]
    agent: list[str]
    notes: list[str]


def _zh(rng: random.Random) -> Texts:
    def crossed(templates: tuple[str, ...]) -> list[str]:
        return [t.format(p=p) for t in templates for p in PRODUCTS]

    customer = [*ZH_CUSTOMER, *(t.format(p=rng.choice(PRODUCTS)) for t in ZH_DESCRIPTIONS)]
    return Texts(crossed(ZH_SUBJECTS), crossed(ZH_DESCRIPTIONS), customer, list(ZH_AGENT), list(ZH_NOTES))


def _en() -> Texts:
    with BANKING77.open(newline="", encoding="utf-8") as fh:
        questions = [row["text"].strip() for row in csv.DictReader(fh) if row["text"].strip()]
    subjects = [q for q in questions if len(q) <= 120]
    return Texts(subjects, questions, questions, list(EN_AGENT), list(EN_NOTES))


class Corpus:
    """Texts in Chinese and English, and the search terms of any of them, cut once."""

    def __init__(self, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.zh, self.en = _zh(rng), _en()
        self._terms: dict[str, frozenset[str]] = {}

    def terms(self, text: str) -> frozenset[str]:
        found = self._terms.get(text)
        if found is None:
            found = self._terms[text] = frozenset(document_terms(text))
        return found
