# Cohort — every target installs the Debian packages it needs first (silently when present).
# Two commands set up a fresh Debian 12 machine as root: `make demo` and `make test`.

SHELL        := /bin/bash
SWIFT        ?= swift
PREFIX       ?= /usr/local
DESTDIR      ?=
BINDIR       := $(DESTDIR)$(PREFIX)/bin
RELEASE_BIN  := .build/release
APT_PACKAGES := libopenblas-dev libpng-dev libturbojpeg0-dev libinotifytools0-dev libssl-dev libgdcm-dev libsqlite3-dev pkg-config systemd util-linux python3 sqlite3
# Only `make test` needs these: the report is checked in a real browser (ReportBrowserTests).
TEST_PACKAGES := chromium dcmtk libgdcm-tools python3-pydicom python3-numpy
SHARED_DATA  ?= $(abspath ../shared/data)
# Release builds are tuned for the vector unit of the machine that builds them (Cohort is built where
# it runs): AVX-512 or AVX2+FMA code in the numeric loops is ~20% faster than baseline x86-64 (measured
# on the classifier). `make build COHORT_CPU=` builds portable baseline binaries instead. A tuned binary
# started on an older CPU exits with a message rather than crashing (BLASStartup).
COHORT_CPU   ?= $(shell if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then echo skylake-avx512; \
                  elif grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo; then echo haswell; fi)
CPU_DEFINE   := $(if $(filter skylake-avx512,$(COHORT_CPU)),COHORT_REQUIRES_AVX512,COHORT_REQUIRES_AVX2)
RELEASE      := -c release $(if $(COHORT_CPU),-Xswiftc -target-cpu -Xswiftc $(COHORT_CPU) -Xswiftc -D$(CPU_DEFINE))
DEMO_DIR     ?= $(abspath .build/demo)
DATA         ?=

.PHONY: all deps test-deps build build-debug test lint format torture demo bench install clean

all: build

# Installs the Debian packages in $(1) that are missing (silently when all are present).
define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing packages:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "run as root (or install:$$missing)" >&2; exit 1; fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

## deps: install missing apt packages (idempotent; prints nothing when all are present)
deps:
	$(call install_missing,$(APT_PACKAGES))

## test-deps: deps, and headless Chromium for the report's browser test
test-deps:
	$(call install_missing,$(APT_PACKAGES) $(TEST_PACKAGES))

## build: release build of every executable
build: deps
	$(SWIFT) build $(RELEASE)

build-debug: deps
	$(SWIFT) build --build-tests

## test: lint, build (a target importing a module it does not declare fails the build), verify the systemd
## units (warnings fail), run the whole test suite, then the numerical
## suites again under every OpenBLAS kernel this CPU can execute (about a minute), then the torture
## suite's short smoke version against the debug daemon (about two minutes)
test: test-deps lint
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	@./Tests/systemd/verify-units.sh "$$($(SWIFT) build --show-bin-path)"
	$(SWIFT) test --skip-build
	@./Tests/numeric-kernels.sh
	python3 bench/torture/torture.py "$$($(SWIFT) build --show-bin-path)" --smoke

## lint: the house style (.swift-format: 4 spaces, 150 columns, the numeric code's compact statements allowed)
## checked with the toolchain's `swift format lint` (a finding fails), and the file-size profile (files over 400
## lines are listed as warnings)
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift
	@./bench/file-sizes.sh

## format: rewrite Sources, Tests and Package.swift in the house style
format:
	$(SWIFT) format format --in-place --recursive Sources Tests Package.swift

## torture: the full torture suite against the release daemon (about 6 minutes on 2 cores, as root):
## kill -9 cycles, inotify overflow, bad input, chunk bombs, a control-socket fuzzer, disk full, damaged
## catalogs; one line of figures per scenario (docs/reliability.md)
torture: build
	python3 bench/torture/torture.py $(RELEASE_BIN)

## demo: cohortd end to end on phantom scans (or `make demo DATA=<ImageFolder>`), about 10–15 minutes on 2 cores
demo: build
	@./bench/demo.sh "$(RELEASE_BIN)" "$(DEMO_DIR)" "$(DATA)"

## bench: release benchmarks side by side with their references (numpy sgemm, PyTorch models)
bench: build
	@# pydicom's reference decode of compressed syntaxes goes through python3-gdcm.
	$(call install_missing,dcmtk libgdcm-tools python3-pydicom python3-numpy python3-gdcm python3-pil)
	@./bench/run.sh "$(RELEASE_BIN)" "$(SHARED_DATA)"

## install: binaries, shell completions, systemd unit, sysusers/tmpfiles files; the default config into $(DESTDIR)/etc/cohort unless one exists
install: build
	install -d "$(BINDIR)" "$(DESTDIR)/etc/cohort"
	install -m 0755 $(RELEASE_BIN)/cohort "$(BINDIR)/cohort"
	install -m 0755 $(RELEASE_BIN)/cohortd "$(BINDIR)/cohortd"
	install -m 0755 $(RELEASE_BIN)/cohortctl "$(BINDIR)/cohortctl"
	install -d "$(DESTDIR)$(PREFIX)/libexec/cohort"
	install -m 0755 $(RELEASE_BIN)/cohort-dicom-helper "$(DESTDIR)$(PREFIX)/libexec/cohort/cohort-dicom-helper"
	install -d "$(DESTDIR)$(PREFIX)/lib/systemd/system" "$(DESTDIR)$(PREFIX)/lib/sysusers.d" "$(DESTDIR)$(PREFIX)/lib/tmpfiles.d"
	sed 's|/usr/local/|$(PREFIX)/|g' systemd/cohortd.service > "$(DESTDIR)$(PREFIX)/lib/systemd/system/cohortd.service"
	sed 's|/usr/local/|$(PREFIX)/|g' systemd/cohortd.socket > "$(DESTDIR)$(PREFIX)/lib/systemd/system/cohortd.socket"
	@# The DICOM receiver (storescp per association), installed disabled: systemctl enable --now cohort-dicom.socket.
	sed 's|/usr/local/|$(PREFIX)/|g' systemd/cohort-dicom.socket > "$(DESTDIR)$(PREFIX)/lib/systemd/system/cohort-dicom.socket"
	sed 's|/usr/local/|$(PREFIX)/|g' systemd/cohort-dicom@.service > "$(DESTDIR)$(PREFIX)/lib/systemd/system/cohort-dicom@.service"
	install -m 0755 systemd/cohort-dicom-deliver "$(DESTDIR)$(PREFIX)/libexec/cohort/cohort-dicom-deliver"
	@# Shell completions for both command-line tools (bash-completion, zsh and fish load these paths).
	install -d "$(DESTDIR)$(PREFIX)/share/bash-completion/completions" "$(DESTDIR)$(PREFIX)/share/zsh/site-functions" \
	  "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d"
	for tool in cohortctl cohort; do \
	  $(RELEASE_BIN)/$$tool --generate-completion-script bash > "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$tool" && \
	  $(RELEASE_BIN)/$$tool --generate-completion-script zsh > "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$$tool" && \
	  $(RELEASE_BIN)/$$tool --generate-completion-script fish > "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$tool.fish" || exit 1; \
	done
	@# The PyTorch side of the hand-off bundle (cohort export --bundle copies them from here).
	install -d "$(DESTDIR)$(PREFIX)/share/cohort"
	install -m 0644 bench/train_ddp.py bench/torch_models.py "$(DESTDIR)$(PREFIX)/share/cohort/"
	install -d "$(DESTDIR)$(PREFIX)/share/doc/cohort"
	install -m 0644 docs/daemon.md docs/dicom.md "$(DESTDIR)$(PREFIX)/share/doc/cohort/"
	install -m 0644 systemd/cohort.sysusers "$(DESTDIR)$(PREFIX)/lib/sysusers.d/cohort.conf"
	install -m 0644 systemd/cohort.tmpfiles "$(DESTDIR)$(PREFIX)/lib/tmpfiles.d/cohort.conf"
	@if [ -e "$(DESTDIR)/etc/cohort/cohortd.yaml" ]; then \
	  echo "keeping the existing $(DESTDIR)/etc/cohort/cohortd.yaml"; \
	else install -m 0644 etc/cohort/cohortd.yaml "$(DESTDIR)/etc/cohort/cohortd.yaml"; fi

clean:
	rm -rf .build
