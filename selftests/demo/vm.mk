# SPDX-License-Identifier: GPL-2.0
# "make demo": trace the bundled tokio program in the VM and bring the
# JSON and the report back to out/demo/. Adds no test to "make check".

DEMO_KVER ?= $(firstword $(KVERS))

demo: catctl-app modules
	$(CURDIR)/demo/run-demo $(DEMO_KVER) \
		$(BUILD)/kmod-$(DEMO_KVER)/kmod/cat.ko $(CATCTL_APP)

.PHONY: demo
