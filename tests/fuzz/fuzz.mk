# tests/fuzz/fuzz.mk: the libFuzzer targets (see tests/fuzz/README),
# included by the Makefile.
#
# They are built with $(CLANG), never with $(CC) and $(CFLAGS): the
# sources are compiled again with libFuzzer, ASan and UBSan into
# tests/fuzz/build, so a build without clang is not affected.  "make
# check" runs tests/fuzz/run, which builds them itself (make fuzz-build)
# if clang with libFuzzer works here and skips them if it does not; so
# CHECK_EXTRA gets nothing from here.
#
#	make fuzz [FUZZ_SECONDS=300]	runs every target that long, keeping
#					new inputs in tests/fuzz/build/corpus
#	make fuzz-build			builds the targets
#	make fuzz-seeds			rewrites the generated seed inputs
#	make fuzz-clean			removes tests/fuzz/build

CLANG		?= clang
FUZZ_SECONDS	?= 60

FUZZ_BUILD	= tests/fuzz/build
FUZZ_TARGETS	= shebang opt proto proto_fds queue conf conf_sitesd snap \
		  fcgi
FUZZ_BINS	= $(FUZZ_BUILD)/fuzz_shebang $(FUZZ_BUILD)/fuzz_opt \
		  $(FUZZ_BUILD)/fuzz_proto $(FUZZ_BUILD)/fuzz_proto_fds \
		  $(FUZZ_BUILD)/fuzz_queue $(FUZZ_BUILD)/fuzz_conf \
		  $(FUZZ_BUILD)/fuzz_conf_sitesd $(FUZZ_BUILD)/fuzz_snap \
		  $(FUZZ_BUILD)/fuzz_fcgi
# Any UB ends the run, so that libFuzzer saves the input.
FUZZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS	= -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) \
		  -Isrc/common -Iadmin -Itests/fuzz $(DEFS) $(WARN)
FUZZ_HDRS	= src/common/opt.h src/common/proto.h src/common/queue.h \
		  src/common/snap.h src/common/util.h src/common/fcgi.h \
		  tests/fuzz/fuzz.h
FUZZ_OBJ	= $(FUZZ_BUILD)/obj/opt.o $(FUZZ_BUILD)/obj/proto.o \
		  $(FUZZ_BUILD)/obj/queue.o $(FUZZ_BUILD)/obj/snap.o \
		  $(FUZZ_BUILD)/obj/util.o $(FUZZ_BUILD)/obj/fuzz_util.o
FUZZ_CONF_OBJ	= $(FUZZ_BUILD)/obj/conf.o
FUZZ_FCGI_OBJ	= $(FUZZ_BUILD)/obj/fcgi.o

CHECK_TAP	+= tests/fuzz/run

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	sh tests/fuzz/run -k -t $(FUZZ_SECONDS)

# The objects: sources under test get coverage for libFuzzer to steer by.
$(FUZZ_BUILD)/obj/%.o: src/common/%.c $(FUZZ_HDRS)
	@mkdir -p $(FUZZ_BUILD)/obj
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_BUILD)/obj/conf.o: admin/conf.c admin/conf.h $(FUZZ_HDRS)
	@mkdir -p $(FUZZ_BUILD)/obj
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ admin/conf.c
$(FUZZ_BUILD)/obj/fuzz_util.o: tests/fuzz/fuzz_util.c $(FUZZ_HDRS)
	@mkdir -p $(FUZZ_BUILD)/obj
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ \
	    tests/fuzz/fuzz_util.c

# The targets; proto_fds and conf_sitesd are variants of proto and conf.
$(FUZZ_BUILD)/fuzz_shebang: tests/fuzz/fuzz_shebang.c $(FUZZ_OBJ)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ \
	    tests/fuzz/fuzz_shebang.c $(FUZZ_OBJ)
$(FUZZ_BUILD)/fuzz_opt: tests/fuzz/fuzz_opt.c $(FUZZ_OBJ)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ \
	    tests/fuzz/fuzz_opt.c $(FUZZ_OBJ)
$(FUZZ_BUILD)/fuzz_proto: tests/fuzz/fuzz_proto.c $(FUZZ_OBJ)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ \
	    tests/fuzz/fuzz_proto.c $(FUZZ_OBJ)
$(FUZZ_BUILD)/fuzz_proto_fds: tests/fuzz/fuzz_proto.c $(FUZZ_OBJ)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -DFUZZ_WITH_FDS -o $@ \
	    tests/fuzz/fuzz_proto.c $(FUZZ_OBJ)
$(FUZZ_BUILD)/fuzz_queue: tests/fuzz/fuzz_queue.c $(FUZZ_OBJ)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ \
	    tests/fuzz/fuzz_queue.c $(FUZZ_OBJ)
$(FUZZ_BUILD)/fuzz_conf: tests/fuzz/fuzz_conf.c $(FUZZ_OBJ) $(FUZZ_CONF_OBJ)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ \
	    tests/fuzz/fuzz_conf.c $(FUZZ_CONF_OBJ) $(FUZZ_OBJ) $(CONFUSE_LIBS)
$(FUZZ_BUILD)/fuzz_conf_sitesd: tests/fuzz/fuzz_conf.c $(FUZZ_OBJ) \
    $(FUZZ_CONF_OBJ)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -DFUZZ_SITESD -o $@ \
	    tests/fuzz/fuzz_conf.c $(FUZZ_CONF_OBJ) $(FUZZ_OBJ) $(CONFUSE_LIBS)
$(FUZZ_BUILD)/fuzz_snap: tests/fuzz/fuzz_snap.c $(FUZZ_OBJ)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ \
	    tests/fuzz/fuzz_snap.c $(FUZZ_OBJ)
$(FUZZ_BUILD)/fuzz_fcgi: tests/fuzz/fuzz_fcgi.c $(FUZZ_OBJ) $(FUZZ_FCGI_OBJ)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ \
	    tests/fuzz/fuzz_fcgi.c $(FUZZ_FCGI_OBJ) $(FUZZ_OBJ)

# tests/fuzz/run's check that clang with libFuzzer works at all: always
# compiled afresh (into FUZZ_PROBE, which the runner points at its
# temporary directory), so that it fails once clang is gone.
FUZZ_PROBE	= $(FUZZ_BUILD)/fuzz_probe
fuzz-probe:
	@mkdir -p $(FUZZ_BUILD)
	$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer -o $(FUZZ_PROBE) \
	    tests/fuzz/probe.c

# The seed inputs that are made, not written by hand (a REQUEST from
# proto_send_request, snapshots from snap_write, queue files): a plain
# program of the gcc build, for whoever changes a format.
$(FUZZ_BUILD)/gen_seeds: tests/fuzz/gen_seeds.c admin/conf.o $(COMMON_OBJ)
	@mkdir -p $(FUZZ_BUILD)
	$(CC) $(ALL_CFLAGS) -Iadmin $(LDFLAGS) -o $@ tests/fuzz/gen_seeds.c \
	    admin/conf.o $(COMMON_OBJ) $(CONFUSE_LIBS)
fuzz-seeds: $(FUZZ_BUILD)/gen_seeds
	$(FUZZ_BUILD)/gen_seeds tests/fuzz/corpus

fuzz-clean:
	rm -rf $(FUZZ_BUILD)
clean: fuzz-clean

.PHONY: fuzz fuzz-build fuzz-probe fuzz-seeds fuzz-clean
