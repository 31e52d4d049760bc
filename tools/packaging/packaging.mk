# Debian packages (included by the Makefile; README, "Installing").
#
#   make deb            build/deb/: unbound rebuilt from Debian's source with
#                       --with-dynlibmodule, and cnroute compiled against it
#   make test-packages  installs them into a fresh Debian root and asks
#                       steered questions (tools/packaging/test-packages.sh)
#
# Package source trees and logs are assembled in build/packaging/.

PKG_WORK := $(BUILD)/packaging
DEB_OUT  := $(BUILD)/deb

.PHONY: deb deb-unbound deb-cnroute test-packages

deb: deb-unbound deb-cnroute

# Unbound takes minutes: rebuilt only when its recipe changes (or with
# `make -B deb-unbound`). Its configured headers stay in build/packaging/.
deb-unbound: $(PKG_WORK)/unbound/.built
$(PKG_WORK)/unbound/.built: tools/packaging/unbound-deb.sh tools/packaging/packaging-deps.sh tools/setup/apt-source.sh
	tools/packaging/unbound-deb.sh $(PKG_WORK)/unbound $(DEB_OUT)
	@touch $@

deb-cnroute: $(PKG_WORK)/unbound/.built $(GEOIP_DBS)
	GEOIP_DIR=$(abspath $(GEOIP_DIR)) tools/packaging/cnroute-deb.sh $(PKG_WORK) $(DEB_OUT)

test-packages: deb
	tools/packaging/test-packages.sh $(DEB_OUT) $(PKG_WORK)/test-root
