# wijkatlas: the two set-up commands are `make atlas` and `make test`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
SYSPY   := /usr/bin/python3
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the tests need: GDAL tools (ogrinfo), QGIS bindings for the plugin tests,
# Chromium for the browser tests, pytest for Debian's Python (QGIS runs there).
DEBS    := gdal-bin python3-qgis qgis-providers python3-pytest chromium poppler-utils
# Debian packages `make atlas` needs: Pango and fonts for WeasyPrint (the book as PDF).
ATLAS_DEBS := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
# axe-core for the accessibility tests, from the npm registry (tests/browser/package.json).
AXE     := tests/browser/node_modules/axe-core/axe.min.js

# Install the Debian packages of $(1) that are not installed yet (one apt-get run).
define apt_install
	@need=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || need="$$need $$p"; done; \
	if [ -n "$$need" ]; then \
	  echo "installing Debian packages:$$need"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$need; \
	fi
endef

.PHONY: atlas test plugin venv system-deps atlas-deps lint bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check uv
	# Byte-compiled at install, as pip does (uv does not by default): every command starts
	# about a second sooner where Python may not write its cache (PYTHONDONTWRITEBYTECODE).
	$(VENV)/bin/uv pip install -q --compile-bytecode --python $(PY) -e '.[test]'
	$(PY) -m compileall -q geo
	touch $@

venv: $(VENV)/.installed

system-deps:
	$(call apt_install,$(DEBS))

atlas-deps:
	$(call apt_install,$(ATLAS_DEBS))

atlas: venv atlas-deps
	$(VENV)/bin/wijkatlas build --out build

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	cd tests/browser && npm ci --no-audit --no-fund
	touch $@

lint: venv
	$(VENV)/bin/ruff check geo tests bench qgis_plugin scripts

test: venv system-deps atlas-deps $(AXE) lint
	$(VENV)/bin/pytest -q --ignore=tests/qgis
	QT_QPA_PLATFORM=offscreen $(SYSPY) -m pytest -q -p no:cacheprovider tests/qgis

plugin: venv
	$(PY) qgis_plugin/build.py --out build/plugin

bench: venv
	$(PY) -m bench                      # crosswalks vs tobler, country-sized run, hard pair (~15 min)
	$(PY) -m bench.maps_bench --compare # web map size and first render
	$(PY) -m bench.accuracy             # interpolation accuracy table
	$(PY) -m bench.records_bench        # register records: 10M points, 1M addresses vs sjoin
	$(PY) -m bench.sliver_rules --synthetic  # sliver rules on real and synthetic pairs
	$(PY) -m bench.survey_bench         # survey: 100,000 respondents x 60 questions x 5 editions

clean:
	rm -rf build
