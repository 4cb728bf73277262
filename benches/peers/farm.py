#!/usr/bin/env python3
"""Builds a static farm of Chinese sites for the peer benchmark.

farm.py DIR SITES PAGES BASE_PORT
Writes DIR/site<i>/p<j>.html (~6 KB each, linked so that every page is
reachable), DIR/nginx.conf (one server on 127.0.0.1:BASE_PORT+i per site),
DIR/sites.toml (the register), DIR/keywords.txt (the terms every tool looks
for) and DIR/urls.txt. Deterministic: the same arguments give the same farm.
"""
import os
import random
import sys

COMMON = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质给族教北市团县领带收育格非政工局部门办公室通知关于开展工作安全检查学校医院企业服务群众建设发展规划信息公开会议精神落实责任监督管理办法制度改革创新推进")
PUNCT = "，。、；：“”（）"
SPAM = ["澳门葡京", "真人荷官", "新葡京", "首存优惠", "成人视频", "午夜福利"]


def paragraph(rng, n):
    out = []
    for i in range(n):
        out.append(rng.choice(COMMON))
        if i % 17 == 16:
            out.append(rng.choice(PUNCT))
    return "".join(out)


def page(rng, site, j, pages):
    links = {(j + 1) % pages, (j + 2) % pages, (2 * j + 1) % pages, j // 2, rng.randrange(pages), rng.randrange(pages)}
    nav = "".join(f'<li><a href="/p{k}.html">{paragraph(rng, 8)}</a></li>' for k in sorted(links))
    body = "".join(f"<p>{paragraph(rng, 120)}</p>" for _ in range(12))
    spam = ""
    if j % 50 == 7:
        a, b = rng.sample(SPAM, 2)
        spam = f'<div style="display:none"><a href="http://spam.example/">{a}</a><a href="http://spam.example/">{b}</a></div>'
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>站点{site} 第{j}页 {paragraph(rng, 10)}</title>'
        f'<meta name="description" content="{paragraph(rng, 30)}"></head><body>'
        f'<div class="nav"><ul>{nav}</ul></div><div class="main"><h1>{paragraph(rng, 14)}</h1>{body}</div>'
        f'{spam}<div class="footer">主办单位：区人民政府办公室 联系电话：0571-8700 0000</div></body></html>'
    )


def main():
    out, sites, pages, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(20261127)
    servers, register, urls = [], ["[defaults]\nallow_private = true\nrespect_robots = false\nper_host_concurrency = 4\n"], []
    for i in range(sites):
        d = os.path.join(out, f"site{i}")
        os.makedirs(d, exist_ok=True)
        for j in range(pages):
            with open(os.path.join(d, f"p{j}.html"), "w", encoding="utf-8") as f:
                f.write(page(rng, i, j, pages))
        port = base + i
        servers.append(
            f"server {{ listen 127.0.0.1:{port}; root {os.path.abspath(d)}; index p0.html; access_log off; }}"
        )
        register.append(
            f'[[site]]\nid = "s{i}"\nname = "站点{i}"\nurl = "http://127.0.0.1:{port}/"\noperator = "运维{i}"\nmax_pages = {pages * 2}\nmax_depth = 100\n'
        )
        urls.extend(f"http://127.0.0.1:{port}/p{j}.html" for j in range(pages))
    with open(os.path.join(out, "nginx.conf"), "w") as f:
        f.write(
            "worker_processes 1; daemon on; pid %s/nginx.pid; error_log %s/nginx.err;\n"
            "events { worker_connections 4096; }\n"
            "http { include /etc/nginx/mime.types; default_type text/html; charset utf-8; keepalive_requests 100000;\n"
            "client_body_temp_path %s/tmp; proxy_temp_path %s/tmp; fastcgi_temp_path %s/tmp; uwsgi_temp_path %s/tmp; scgi_temp_path %s/tmp;\n%s\n}\n"
            % (out, out, out, out, out, out, out, "\n".join(servers))
        )
    os.makedirs(os.path.join(out, "tmp"), exist_ok=True)
    with open(os.path.join(out, "sites.toml"), "w", encoding="utf-8") as f:
        f.write("\n".join(register))
        # The pages' hidden links go to spam.example: pinned to a closed
        # local port, so the outbound check never leaves 127.0.0.1.
        f.write('\n[resolve]\n"spam.example" = "127.0.0.1"\n')
    with open(os.path.join(out, "keywords.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(SPAM) + "\n")
    with open(os.path.join(out, "urls.txt"), "w") as f:
        f.write("\n".join(urls) + "\n")


if __name__ == "__main__":
    main()
