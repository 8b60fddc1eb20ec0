#!/usr/bin/env python3
"""Generate the trees scripts/bench-doctor.sh times `dbps doctor` on.

Usage: bench-doctor-trees.py OUT_DIR FIXTURES_DIR

OUT_DIR/<tree> for each tree below, plus OUT_DIR/single/<case>/src/app.js for the
per-file checks. Deterministic (seeded), so runs compare.

  fixtures     the doctor's own fixture repositories (tests/fixtures/doctor), together
  monorepo     40 services in six languages, ~50,000 files, docs, binary assets and a
               git-ignored node_modules
  vendored-web a Node/TypeScript shop that commits its vendored browser libraries
               (non-ASCII text, `public/vendor/` marked `linguist-vendored`),
               minified bundles (`*.min.js` and hashed `app.3f2a9c.js` single-line
               files), a generated API client (`linguist-generated`) and a PHP
               `vendor/` directory
  i18n         a Java/Python/Go product whose sources, comments, string literals,
               YAML locale files and message bundles are full of non-ASCII text
  single/*     one 1 MB JavaScript file, ASCII only; the same with multi-byte
               characters at random places; and a 4 MB one with them
"""

import os
import random
import shutil
import sys

OUT, FIXTURES = sys.argv[1], sys.argv[2]
random.seed(42)

WORDS_NON_ASCII = ["Bestellübersicht", "Größe", "überprüfen", "заказ", "пользователь",
                   "доставка", "注文", "配送先", "ユーザー", "購入履歴", "café", "naïve",
                   "façade", "señal", "Ærø", "🚀", "✓", "—", "…", "€"]


def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
        f.write(text)


def fixtures():
    shutil.copytree(FIXTURES, os.path.join(OUT, "fixtures"), symlinks=True)


def monorepo():
    root = os.path.join(OUT, "monorepo")
    langs = [("go", "main_{i}.go"), ("py", "mod_{i}.py"), ("ts", "mod_{i}.ts"),
             ("java", "Mod{i}.java"), ("rs", "mod_{i}.rs"), ("cs", "Mod{i}.cs")]
    body = {
        "go": 'package svc\n\nimport "os"\n\n// Handler {i} does things.\nfunc Handler{i}(x int) int {{\n\tif x > {i} {{\n\t\treturn x - 1\n\t}}\n\treturn x + {i}\n}}\n',
        "py": 'import os\n\n\ndef handler_{i}(x):\n    """Handle {i}."""\n    if x > {i}:\n        return x - 1\n    return x + {i}\n',
        "ts": 'export function handler{i}(x: number): number {{\n  // handle {i}\n  if (x > {i}) {{\n    return x - 1;\n  }}\n  return x + {i};\n}}\n',
        "java": 'package svc;\n\npublic class Mod{i} {{\n    /** Handle {i}. */\n    public int handle(int x) {{\n        return x > {i} ? x - 1 : x + {i};\n    }}\n}}\n',
        "rs": 'pub fn handler_{i}(x: i64) -> i64 {{\n    // handle {i}\n    if x > {i} {{ x - 1 }} else {{ x + {i} }}\n}}\n',
        "cs": 'namespace Svc;\n\npublic static class Mod{i}\n{{\n    public static int Handle(int x) => x > {i} ? x - 1 : x + {i};\n}}\n',
    }
    extra = {
        "go": '\nvar q{i} = `SELECT id, total FROM {t} WHERE id = $1`\nvar dsn{i} = os.Getenv("DATABASE_URL")\n',
        "py": '\nQ_{i} = "SELECT id FROM {t} WHERE id = %s"\nURL_{i} = os.environ.get("DATABASE_URL")\n',
        "ts": '\nconst q{i} = "SELECT id FROM {t} WHERE id = $1";\nconst url{i} = process.env.DATABASE_URL;\n',
        "java": '\nclass Q{i} {{ static final String Q = "SELECT id FROM {t} WHERE id = ?"; }}\n',
        "rs": '\npub const Q_{i}: &str = "SELECT id FROM {t} WHERE id = $1";\n',
        "cs": '\npublic static class Q{i} {{ public const string Q = "SELECT id FROM {t} WHERE id = @id"; }}\n',
    }
    compose = ["services:"]
    for s in range(40):
        name = f"svc{s:02d}"
        ext, pat = langs[s % len(langs)]
        d = os.path.join(root, "services", name)
        write(os.path.join(d, "Dockerfile"), "FROM scratch\n")
        write(os.path.join(d, ".env"), f"DATABASE_URL=postgres://{name}:pw{s}@{name}-db:5432/{name}\n")
        for m in range(5):
            write(os.path.join(d, "migrations", f"{m:04d}_init.sql"),
                  f"-- migration {m}\nCREATE TABLE {name}_t{m} (\n  id bigserial PRIMARY KEY,\n  payload jsonb NOT NULL\n);\n")
        for i in range(1000):
            text = body[ext].format(i=i) * 3
            if i % 20 == 0:
                text += extra[ext].format(i=i, t=f"{name}_t{i % 5}")
            if i % 250 == 0:
                mark = "#" if ext == "py" else "//"
                text += f'\n{mark} fallback: "postgres://{name}:pw@localhost:5432/{name}"\n'
            write(os.path.join(d, "src", pat.format(i=i)), text)
        for i in range(200):
            write(os.path.join(d, "docs", f"page{i}.md"), f"# Page {i}\n\nSome prose about {name}.\n" * 20)
        for i in range(44):
            write(os.path.join(d, "assets", f"img{i}.png"), b"\x89PNG\r\n\x1a\n\0\0" + os.urandom(2048), "wb")
        compose += [f"  {name}:", f"    build: ./services/{name}", f"    env_file: ./services/{name}/.env",
                    f"  {name}-db:", "    image: postgres:16"]
    write(os.path.join(root, "docker-compose.yml"), "\n".join(compose) + "\n")
    write(os.path.join(root, ".gitignore"), "node_modules/\n")
    for i in range(500):
        write(os.path.join(root, "node_modules", "pg", "lib", f"f{i}.js"), 'module.exports = "postgres://x@y/z";\n' * 50)


def prose(n_words, non_ascii=0.0):
    words = ["order", "customer", "payment", "the", "and", "value", "returns", "select", "item",
             "update", "cache", "request", "when", "config", "result", "for", "with", "shipping"]
    out = []
    for _ in range(n_words):
        out.append(random.choice(WORDS_NON_ASCII) if random.random() < non_ascii else random.choice(words))
    return " ".join(out)


def js_library(lines, non_ascii):
    """A readable (not minified) browser library: functions, comments, locale tables."""
    out = ["/*! vendored library — see LICENSE */", "(function (root, factory) {",
           "  if (typeof define === 'function' && define.amd) { define([], factory); }",
           "  else { root.lib = factory(); }", "}(this, function () {", "  'use strict';"]
    i = 0
    while len(out) < lines:
        i += 1
        out += [f"  // {prose(10, non_ascii)}",
                f"  function helper{i}(input, options) {{",
                f"    var label = '{prose(5, non_ascii)}';",
                f"    if (options && options.select) {{ return input.filter(function (x) {{ return x.id === {i}; }}); }}",
                f"    return {{ id: {i}, label: label, created: Date.now() }};",
                "  }"]
    out += ["  return {};", "}));"]
    return "\n".join(out) + "\n"


def minified(size):
    parts, n = [], 0
    while n < size:
        p = f"function a{n}(b,c){{return b.select?c.map(function(d){{return d+{n}}}):'{prose(3, 0.2)}'}};"
        parts.append(p)
        n += len(p)
    return "!function(){" + "".join(parts) + "}();\n"


def vendored_web():
    root = os.path.join(OUT, "vendored-web")
    write(os.path.join(root, ".gitattributes"),
          "* text=auto\n*.png binary\npublic/vendor/** linguist-vendored\nsrc/generated/** linguist-generated=true\n")
    write(os.path.join(root, ".gitignore"), "node_modules/\ndist/\n.env.local\n")
    write(os.path.join(root, "package.json"), '{ "name": "shop-web", "private": true }\n')
    write(os.path.join(root, "docker-compose.yml"),
          "services:\n  web:\n    build: .\n    environment:\n      DATABASE_URL: postgres://web:${WEB_DB_PASSWORD}@db:5432/web\n"
          "      REDIS_URL: redis://cache:6379/0\n  db:\n    image: postgres:16\n  cache:\n    image: redis:7\n")
    write(os.path.join(root, "Dockerfile"), "FROM node:20-alpine\nCOPY . .\n")
    for i in range(2000):
        area = ["orders", "cart", "catalog", "account", "checkout"][i % 5]
        text = (f"import {{ db }} from '../db';\n\n// {prose(12)}\nexport async function load{i}(id: string) {{\n"
                f"  const rows = await db.query('SELECT id, total FROM {area} WHERE id = $1', [id]);\n"
                f"  return rows.map((r) => ({{ ...r, label: '{prose(4)}' }}));\n}}\n")
        write(os.path.join(root, "src", area, f"handler{i}.ts"), text)
    write(os.path.join(root, "src", "db.ts"),
          "import { Pool } from 'pg';\nexport const db = new Pool({ connectionString: process.env.DATABASE_URL });\n")
    for i in range(40):
        write(os.path.join(root, "src", "generated", f"client{i}.ts"),
              "".join(f"export interface Model{i}_{j} {{ id: string; name: string; }}\n"
                      f"export const path{i}_{j} = '/api/v1/model{j}';\n" for j in range(2000)))
    for name in ["moment-with-locales", "chart", "leaflet", "pdfmake", "select2", "jquery-ui",
                 "lodash", "d3", "quill", "flatpickr", "intl-tel-input", "fullcalendar"]:
        write(os.path.join(root, "public", "vendor", name, f"{name}.js"), js_library(12000, 0.08))
        write(os.path.join(root, "public", "vendor", name, f"{name}.min.js"), minified(300_000))
    for h in ["3f2a9c", "81bd02", "c0ffee", "9e1d77"]:
        write(os.path.join(root, "public", "assets", f"app.{h}.js"), minified(2_000_000))
    for i in range(300):
        write(os.path.join(root, "vendor", "composer", f"pkg{i}", "src", f"Client{i}.php"),
              f"<?php\n// {prose(20, 0.05)}\nclass Client{i} {{ const DSN = 'mysql:host=db;dbname=x'; }}\n")


def i18n():
    root = os.path.join(OUT, "i18n")
    compose = ["services:"]
    for s, (lang, ext) in enumerate([("java", "java"), ("py", "py"), ("go", "go")] * 4):
        name = f"svc{s:02d}"
        d = os.path.join(root, "services", name)
        write(os.path.join(d, "Dockerfile"), "FROM scratch\n")
        compose += [f"  {name}:", f"    build: ./services/{name}", "    environment:",
                    f"      DATABASE_URL: postgres://{name}:${{{name.upper()}_PW}}@db-{name}:5432/{name}",
                    f"  db-{name}:", "    image: postgres:16"]
        for i in range(600):
            c = "#" if ext == "py" else "//"
            lines = [f"{c} {prose(14, 0.3)}" for _ in range(8)]
            lines += [f'MESSAGE_{j} = "{prose(8, 0.4)}"' if ext == "py" else
                      f'static final String MESSAGE_{j} = "{prose(8, 0.4)}";' if ext == "java" else
                      f'var message{j} = "{prose(8, 0.4)}"' for j in range(20)]
            if i % 50 == 0:
                lines.append('QUERY = "SELECT id FROM orders WHERE id = %s"' if ext == "py" else
                             'String q = "SELECT id FROM orders WHERE id = ?";' if ext == "java" else
                             'var q = `SELECT id FROM orders WHERE id = $1`')
            write(os.path.join(d, "src", f"module{i}.{ext}"), "\n".join(lines) + "\n")
        for loc in ["de", "fr", "ru", "ja", "zh", "es"]:
            yml = [f"{loc}:", "  messages:"]
            yml += [f"    key_{k}: \"{prose(9, 0.6)}\"" for k in range(4000)]
            write(os.path.join(d, "config", "locales", f"{loc}.yml"), "\n".join(yml) + "\n")
            write(os.path.join(d, "src", "main", "resources", f"messages_{loc}.properties"),
                  "".join(f"key.{k}={prose(9, 0.6)}\n" for k in range(4000)))
    write(os.path.join(root, "docker-compose.yml"), "\n".join(compose) + "\n")


def single():
    """One JavaScript file a reader wants, with content that reaches every regex."""
    def app_js(size, non_ascii):
        rnd = random.Random(7)
        lines, n, i = [], 0, 0
        while n < size:
            i += 1
            line = rnd.choice([
                f"  const q{i} = 'SELECT id, total FROM orders WHERE id = $1 AND label = {i}';",
                f"  const url{i} = process.env.DATABASE_URL || 'postgres://app:pw@db:5432/app{i % 3}';",
                f"  // update the cache for request {i}: create the entry when missing",
                f"  function handle{i}(req, res) {{ return res.json({{ id: {i}, env: process.env.NODE_ENV }}); }}",
                f"  db.collection('events').insertOne({{ at: Date.now(), n: {i} }});",
            ])
            if non_ascii and rnd.random() < 0.3:
                cut = rnd.randrange(len(line))
                line = line[:cut] + rnd.choice(WORDS_NON_ASCII) + line[cut:]
            lines.append(line)
            n += len(line.encode("utf-8")) + 1
        return "module.exports = function () {\n" + "\n".join(lines) + "\n};\n"
    for case, size, non_ascii in [("empty", 0, False), ("ascii-1mb", 1 << 20, False),
                                  ("multibyte-1mb", 1 << 20, True), ("multibyte-4mb", 4 << 20, True)]:
        d = os.path.join(OUT, "single", case)
        write(os.path.join(d, "package.json"), '{ "name": "app" }\n')
        if size:
            write(os.path.join(d, "src", "app.js"), app_js(size, non_ascii))


for tree in [fixtures, monorepo, vendored_web, i18n, single]:
    tree()
