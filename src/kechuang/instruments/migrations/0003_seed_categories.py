"""Seed the instrument classification: the top levels of the national classification of large research
instruments (大型科研仪器国家网络管理平台) and the branches the district's institutes use most."""

from django.db import migrations

CATEGORIES = [
    ("01", "分析仪器", [
        ("0101", "电子光学仪器"), ("0102", "质谱仪器"), ("0103", "X射线仪器"), ("0104", "光谱仪器"),
        ("0105", "色谱仪器"), ("0106", "波谱仪器"), ("0107", "电化学仪器"), ("0108", "显微镜及图像分析仪器"),
        ("0109", "热分析仪器"), ("0110", "生化分离分析仪器"), ("0111", "环境与农业分析仪器"),
    ]),
    ("02", "物理性能测试仪器", [
        ("0201", "力学性能测试仪器"), ("0202", "大地测量仪器"), ("0203", "光电测量仪器"),
        ("0204", "声学振动仪器"), ("0205", "颗粒度测量仪器"), ("0206", "探伤仪器"),
    ]),
    ("03", "计量仪器", [
        ("0301", "长度计量仪器"), ("0302", "热学计量仪器"), ("0303", "力学计量仪器"),
        ("0304", "电磁学计量仪器"), ("0305", "时间频率计量仪器"), ("0306", "光学计量仪器"),
    ]),
    ("04", "光学仪器", [
        ("0401", "激光器"), ("0402", "干涉仪"), ("0403", "光学测试平台"), ("0404", "光学镀膜与加工设备"),
    ]),
    ("05", "电子测量仪器", [
        ("0501", "通用电子测量仪器"), ("0502", "射频和微波测试仪器"), ("0503", "半导体器件测试仪器"),
        ("0504", "网络分析仪器"),
    ]),
    ("06", "生命科学仪器", [
        ("0601", "基因测序仪器"), ("0602", "细胞分析仪器"), ("0603", "医学影像与生理仪器"),
    ]),
    ("07", "特种检测仪器", [("0701", "无损检测仪器"), ("0702", "电磁兼容检测仪器")]),
    ("08", "工艺试验设备", [("0801", "微纳加工设备"), ("0802", "材料制备设备")]),
    ("09", "计算机及其配套设备", []),
    ("10", "海洋仪器", []),
    ("11", "大气探测仪器", []),
    ("12", "核仪器", []),
    ("99", "其他仪器", []),
]


def forwards(apps, schema_editor):
    category = apps.get_model("instruments", "InstrumentCategory")
    for order, (code, name, children) in enumerate(CATEGORIES, start=1):
        parent, _created = category.objects.update_or_create(
            code=code, defaults={"name": name, "sort_order": order, "parent": None}
        )
        for child_order, (child_code, child_name) in enumerate(children, start=1):
            category.objects.update_or_create(
                code=child_code, defaults={"name": child_name, "sort_order": child_order, "parent": parent}
            )


def backwards(apps, schema_editor):
    category = apps.get_model("instruments", "InstrumentCategory")
    codes = [code for code, _n, _c in CATEGORIES]
    child_codes = [c for _code, _n, children in CATEGORIES for c, _cn in children]
    category.objects.filter(code__in=child_codes, instruments__isnull=True).delete()
    category.objects.filter(code__in=codes, instruments__isnull=True, children__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("instruments", "0002_no_overlapping_bookings")]

    operations = [migrations.RunPython(forwards, backwards)]
