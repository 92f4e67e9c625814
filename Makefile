# Shortcuts for the scripts that do the work (see README.md).
#
#   make fuzz [FUZZ_SECONDS=N]   scripts/fuzz.sh: libFuzzer targets and the V8 differential
#   make test                    scripts/test.sh: fuzz briefly, then the release and
#                                sanitizer lanes (what CI runs)
#   make sanitize                scripts/test.sh's sanitizer lane alone, without fuzzing

FUZZ_SECONDS ?= 300

.PHONY: fuzz test sanitize

fuzz:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

test:
	bash scripts/test.sh

sanitize:
	ISOLA_FUZZ_SECONDS=0 ISOLA_LANES=sanitize bash scripts/test.sh
