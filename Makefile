# overdue: build, install and uninstall.
#
#   make build                      release build (.build/release/overdue)
#   sudo make install               install under PREFIX (default /usr/local)
#   sudo make uninstall             remove what install put (never the config or the database)
#   make test                       every test (scripts/test.sh)
#   make deb                        out/overdue_VERSION_ARCH.deb for Debian 12 (dpkg-deb)
#
# Variables: PREFIX (/usr/local), DESTDIR (staging root for packaging), SYSCONFDIR (/etc),
# UNITDIR ($(PREFIX)/lib/systemd/system), BIN (the binary to install).
#
# The release binary carries its Swift runtime (--static-swift-stdlib): it needs only libraries
# that Debian 12 ships (glibc, libstdc++, libcurl4, libsqlite3-0, zlib), not the toolchain's.
#
# The unit goes to $(PREFIX)/lib/systemd/system: systemd reads /usr/local/lib/systemd/system
# for locally installed software and /usr/lib/systemd/system (= /lib/systemd/system on
# merged-/usr Debian) for PREFIX=/usr, and both leave /etc/systemd/system to the admin.
# Its ExecStart is rewritten to $(PREFIX)/bin/overdue and its config paths to $(SYSCONFDIR).
#
# The example config and templates are copied to $(SYSCONFDIR)/overdue only where no file of
# that name exists yet: reinstalling or upgrading never overwrites an edited config or template.

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
UNITDIR ?= $(PREFIX)/lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
CONFDIR = $(SYSCONFDIR)/overdue

BIN ?= .build/release/overdue
SOURCES := Package.swift $(shell find Sources -type f 2>/dev/null)
SWIFT_RELEASE = swift build -c release --static-swift-stdlib --product overdue

INSTALL ?= install

VERSION := $(shell sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/overdue/Version.swift)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB := out/overdue_$(VERSION)_$(DEB_ARCH).deb
DEB_ROOT := out/deb-root

.PHONY: all build install uninstall test deb

all: build

build:
	$(SWIFT_RELEASE)

# Built only when missing or older than the sources, so `make build && sudo make install`
# does not compile again as root.
.build/release/overdue: $(SOURCES)
	$(SWIFT_RELEASE)

install: $(BIN)
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(MANDIR)/man1" \
		"$(DESTDIR)$(BASHCOMPDIR)" "$(DESTDIR)$(ZSHCOMPDIR)" "$(DESTDIR)$(FISHCOMPDIR)" \
		"$(DESTDIR)$(CONFDIR)/templates"
	$(INSTALL) -m 0755 "$(BIN)" "$(DESTDIR)$(BINDIR)/overdue"
	sed -e 's|/usr/local/bin/overdue|$(BINDIR)/overdue|g' -e 's|/etc/overdue/|$(CONFDIR)/|g' \
		systemd/overdue.service > "$(DESTDIR)$(UNITDIR)/overdue.service"
	chmod 0644 "$(DESTDIR)$(UNITDIR)/overdue.service"
	$(INSTALL) -m 0644 man/overdue.1 "$(DESTDIR)$(MANDIR)/man1/overdue.1"
	# bash-completion sources the script: a #! line would only mislead (lintian warns).
	"$(BIN)" --generate-completion-script bash | sed '1{/^#!/d}' > "$(DESTDIR)$(BASHCOMPDIR)/overdue"
	"$(BIN)" --generate-completion-script zsh > "$(DESTDIR)$(ZSHCOMPDIR)/_overdue"
	"$(BIN)" --generate-completion-script fish > "$(DESTDIR)$(FISHCOMPDIR)/overdue.fish"
	chmod 0644 "$(DESTDIR)$(BASHCOMPDIR)/overdue" "$(DESTDIR)$(ZSHCOMPDIR)/_overdue" \
		"$(DESTDIR)$(FISHCOMPDIR)/overdue.fish"
	@for file in overdue.toml $$(cd config && ls templates/*.txt templates/*.html); do \
		target="$(DESTDIR)$(CONFDIR)/$$file"; \
		if [ -e "$$target" ]; then \
			echo "kept $$target (already present; the shipped version is config/$$file)"; \
		else \
			$(INSTALL) -m 0644 "config/$$file" "$$target" && echo "installed $$target"; \
		fi; \
	done
	@echo
	@echo "Next: put the SMTP password in $(CONFDIR)/smtp-password (chmod 0600), edit"
	@echo "$(CONFDIR)/overdue.toml, run 'overdue config check', then:"
	@echo "    systemctl daemon-reload && systemctl enable --now overdue"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/overdue" "$(DESTDIR)$(UNITDIR)/overdue.service" \
		"$(DESTDIR)$(MANDIR)/man1/overdue.1" "$(DESTDIR)$(BASHCOMPDIR)/overdue" \
		"$(DESTDIR)$(ZSHCOMPDIR)/_overdue" "$(DESTDIR)$(FISHCOMPDIR)/overdue.fish"
	@echo "Left in place: $(CONFDIR) (your config and templates) and /var/lib/overdue (the database)."

test:
	scripts/test.sh

# The Debian package: `make install` into a staging root with Debian's paths, then what a
# package adds (stripped binary, compressed man page, maintainer scripts, conffiles, the
# service account and its folder, copyright, changelog). Depends is computed by
# dpkg-shlibdeps from the binary's NEEDED libraries, plus systemd for sysusers/tmpfiles.
deb: $(BIN)
	rm -rf "$(DEB_ROOT)" && mkdir -p out
	$(MAKE) --no-print-directory install DESTDIR="$(CURDIR)/$(DEB_ROOT)" PREFIX=/usr SYSCONFDIR=/etc \
		UNITDIR=/lib/systemd/system ZSHCOMPDIR=/usr/share/zsh/vendor-completions BIN="$(BIN)" >/dev/null
	strip --remove-section=.comment --remove-section=.note --strip-unneeded "$(DEB_ROOT)/usr/bin/overdue"
	gzip -9n "$(DEB_ROOT)/usr/share/man/man1/overdue.1"
	$(INSTALL) -d "$(DEB_ROOT)/DEBIAN" "$(DEB_ROOT)/usr/share/doc/overdue" \
		"$(DEB_ROOT)/usr/lib/sysusers.d" "$(DEB_ROOT)/usr/lib/tmpfiles.d"
	$(INSTALL) -m 0644 packaging/debian/copyright "$(DEB_ROOT)/usr/share/doc/overdue/copyright"
	gzip -9n < packaging/debian/changelog > "$(DEB_ROOT)/usr/share/doc/overdue/changelog.gz"
	$(INSTALL) -m 0644 packaging/debian/overdue.sysusers "$(DEB_ROOT)/usr/lib/sysusers.d/overdue.conf"
	$(INSTALL) -m 0644 packaging/debian/overdue.tmpfiles "$(DEB_ROOT)/usr/lib/tmpfiles.d/overdue.conf"
	$(INSTALL) -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$(DEB_ROOT)/DEBIAN/"
	cd "$(DEB_ROOT)" && find etc -type f | sort | sed 's|^|/|' > DEBIAN/conffiles
	chmod 0644 "$(DEB_ROOT)/DEBIAN/conffiles"
	rm -rf out/shlibdeps && mkdir -p out/shlibdeps/debian && touch out/shlibdeps/debian/control
	cd out/shlibdeps && dpkg-shlibdeps -O -e "$(CURDIR)/$(DEB_ROOT)/usr/bin/overdue" \
		| sed -n 's/^shlibs:Depends=//p' > depends
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' \
		-e "s/@DEPENDS@/$$(cat out/shlibdeps/depends), systemd, tzdata/" \
		-e "s/@INSTALLED_SIZE@/$$(du -sk --exclude=DEBIAN "$(DEB_ROOT)" | cut -f1)/" \
		packaging/debian/control.in > "$(DEB_ROOT)/DEBIAN/control"
	cd "$(DEB_ROOT)" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z \
		| xargs -0 md5sum > DEBIAN/md5sums && chmod 0644 DEBIAN/md5sums DEBIAN/control
	dpkg-deb --root-owner-group -Zxz --build "$(DEB_ROOT)" "$(DEB)"
	@echo "built $(DEB) ($$(du -k "$(DEB)" | cut -f1) KiB)"
