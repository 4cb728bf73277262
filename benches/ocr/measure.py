#!/usr/bin/env python3
"""Can Tesseract (Debian tesseract-ocr + chi_sim) read a scanned 公示 list
well enough to find leaked ID and mobile numbers? Renders lists as a
scanner would produce them (200 dpi, slight skew, noise, JPEG), OCRs them
and counts the ID numbers (18 characters, valid check digit) and mobiles
recovered exactly."""
import io, random, re, subprocess, sys, time
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"  # Debian fonts-wqy-zenhei
OUT = "/tmp/sitesweep-ocr"
# Needs: apt-get install tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-zenhei python3-pil
# Run:   python3 benches/ocr/measure.py [PAGES]
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
SUR = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIV = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"

def cn_id(rng):
    area = rng.choice(["110105", "310104", "330106", "440305", "510107", "420106"])
    birth = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    seq = f"{rng.randint(0, 999):03d}"
    s17 = area + birth + seq
    return s17 + C[sum(int(a) * b for a, b in zip(s17, W)) % 11]

def mobile(rng):
    return rng.choice(["138", "139", "150", "186", "137", "158"]) + f"{rng.randint(0, 99999999):08d}"

def page(rng, rows, quality):
    font = ImageFont.truetype(FONT, 30)
    title = ImageFont.truetype(FONT, 40)
    img = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    d = ImageDraw.Draw(img)
    d.text((420, 120), "2024年城南区低保对象公示名单", font=title, fill=0)
    cols = [120, 260, 460, 1000, 1400]
    heads = ["序号", "姓名", "身份证号码", "联系电话"]
    y = 240
    truth = []
    for i in range(rows + 1):
        d.line((cols[0] - 10, y - 10, cols[-1] + 120, y - 10), fill=0, width=2)
        if i == 0:
            cells = heads
        else:
            name = rng.choice(SUR) + rng.choice(GIV) + rng.choice(["", rng.choice(GIV)])
            cid, mob = cn_id(rng), mobile(rng)
            truth.append((name, cid, mob))
            cells = [str(i), name, cid, mob]
        for x, c in zip(cols, cells):
            d.text((x, y), c, font=font, fill=0)
        y += 60
    d.line((cols[0] - 10, y - 10, cols[-1] + 120, y - 10), fill=0, width=2)
    for x in cols[:4] + [cols[-1] + 120]:
        d.line((x - 10, 230, x - 10, y - 10), fill=0, width=2)
    # A scanner: slight skew, blur, speckle, JPEG.
    img = img.rotate(rng.uniform(-1.2, 1.2), fillcolor=255, resample=Image.BICUBIC)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    px = img.load()
    for _ in range(4000):
        px[rng.randrange(img.width), rng.randrange(img.height)] = rng.choice([0, 255])
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue(), truth

def main():
    import os
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(20261130)
    pages, rows = int(sys.argv[1]) if len(sys.argv) > 1 else 6, 30
    ids = mobs = names = total = 0
    false_ids = 0
    secs = 0.0
    for p in range(pages):
        jpeg, truth = page(rng, rows, quality=rng.choice([60, 75, 90]))
        path = f"{OUT}/page{p}.jpg"
        open(path, "wb").write(jpeg)
        t0 = time.time()
        text = subprocess.run(["tesseract", path, "-", "-l", "chi_sim+eng", "--psm", "4"],
                              capture_output=True, text=True).stdout
        secs += time.time() - t0
        flat = re.sub(r"\s+", "", text)
        got_ids = set(re.findall(r"\d{17}[\dXx]", flat))
        for name, cid, mob in truth:
            total += 1
            ids += cid in flat
            mobs += mob in flat
            names += name in flat
        valid = {i for i in got_ids if C[sum(int(a) * b for a, b in zip(i[:17], W)) % 11] == i[17].upper()}
        false_ids += len(valid - {c for _, c, _ in truth})
    print(f"{pages} pages x {rows} rows: ID numbers read exactly {ids}/{total} ({ids/total:.0%}), "
          f"mobiles {mobs}/{total} ({mobs/total:.0%}), names {names}/{total} ({names/total:.0%}), "
          f"valid IDs not in the list {false_ids}, {secs/pages:.1f} s per page")

main()
