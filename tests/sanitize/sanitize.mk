# tests/sanitize/sanitize.mk: sanitizer and valgrind runs (included by
# Makefile.in before its check target; see tests/sanitize/README).
#
# The unit tests and the three programs are built again with ASan and
# UBSan into tests/sanitize/build/, beside the normal build: the same
# sources and flags (configure's and Debian's hardening flags too), plus
# the sanitizers, minus _FORTIFY_SOURCE (its __*_chk wrappers bypass
# ASan's checks) and minus -static-pie for the frontend (ASan cannot be
# linked into a static executable).
#
#	make check		the valgrind run of the unit tests, the ASan
#				unit tests and a few bats suites under ASan
#	make check-asan		the ASan unit tests and every bats suite

SAN_DIR		= tests/sanitize/build
SAN_FLAGS	= -fsanitize=address,undefined -fno-omit-frame-pointer \
		  -fno-sanitize-recover=undefined
# -O1 after CFLAGS: exact stack traces at a small cost.  No $(WERROR):
# gcc warns about code the sanitizers add (false -Wstringop-overflow and
# -Wmaybe-uninitialized), and the normal build already treats our own
# warnings as errors in CI.
SAN_CFLAGS	= -Isrc/common $(DEFS) $(CPPFLAGS) -U_FORTIFY_SOURCE \
		  -Wall -Wextra $(CFLAGS) -O1 $(SAN_FLAGS)
# The runtimes linked statically: gcc's shared libasan and libubsan each
# keep their own copy of the common flags, and UBSan then ignores
# log_path (its reports would go to stderr, which the suites compare).
SAN_STATIC	= $(shell $(CC) --version 2>/dev/null | grep -q clang && \
		  echo -static-libsan || echo -static-libasan -static-libubsan)
SAN_LDFLAGS	= $(CFLAGS) $(LDFLAGS) $(SAN_FLAGS) $(SAN_STATIC)

SAN_COMMON_OBJ	= $(addprefix $(SAN_DIR)/,$(COMMON_OBJ))
SAN_FE_OBJ	= $(addprefix $(SAN_DIR)/,$(FE_OBJ))
SAN_BE_OBJ	= $(addprefix $(SAN_DIR)/,$(BE_OBJ))
SAN_ADMIN_OBJ	= $(addprefix $(SAN_DIR)/,$(ADMIN_OBJ))
SAN_SF_OBJ	= $(addprefix $(SAN_DIR)/,$(SF_OBJ) $(FE_LIB_OBJ) $(FCGI_OBJ) \
		  admin/conf.o)
SAN_PROGRAMS	= $(SAN_DIR)/src/frontend/speedy \
		  $(SAN_DIR)/src/backend/speedy_backend \
		  $(SAN_DIR)/admin/speedy-admin \
		  $(SAN_DIR)/src/fcgi/speedy-fcgi
SAN_UNIT_TESTS	= $(addprefix $(SAN_DIR)/,$(UNIT_TESTS))
# test_conf finds the shipped etc/speedy at ../../etc from its own path.
SAN_ETC		= $(SAN_DIR)/etc
SAN_HEADERS	= src/common/opt.h src/common/proto.h src/common/queue.h \
		  src/common/snap.h src/common/util.h src/common/fcgi.h \
		  src/frontend/fe.h src/backend/be.h admin/adm.h admin/adm_out.h \
		  admin/conf.h src/fcgi/sf.h
SAN_CANARY	= $(SAN_DIR)/canary $(SAN_DIR)/canary-plain
SAN_ALL		= $(SAN_PROGRAMS) $(SAN_UNIT_TESTS) $(SAN_ETC) $(SAN_CANARY)

# make check: the programs of CHECK_TAP run from tests/run.
CHECK_TAP	+= tests/sanitize/valgrind tests/sanitize/asan
CHECK_EXTRA	+= $(SAN_ALL)

$(SAN_DIR)/%.o: %.c $(SAN_HEADERS)
	@$(MKDIR_P) $(@D)
	$(CC) $(SAN_CFLAGS) -c -o $@ $<

# speedy-fcgi includes the frontend's fe.h and admin's conf.h.
$(SAN_DIR)/src/fcgi/%.o: src/fcgi/%.c $(SAN_HEADERS)
	@$(MKDIR_P) $(@D)
	$(CC) $(SAN_CFLAGS) -Isrc/frontend -Iadmin -c -o $@ $<

$(SAN_DIR)/src/backend/be_perl.o: src/backend/be_perl.c $(SAN_HEADERS) \
    $(GENERATED)
	@$(MKDIR_P) $(@D)
	$(CC) $(SAN_CFLAGS) $(PERL_CCOPTS) -Wno-unused-parameter \
	    -c -o $@ src/backend/be_perl.c

$(SAN_DIR)/src/frontend/speedy: $(SAN_FE_OBJ) $(SAN_COMMON_OBJ)
	$(CC) $(SAN_LDFLAGS) -o $@ $(SAN_FE_OBJ) $(SAN_COMMON_OBJ) $(LIBS)

$(SAN_DIR)/src/backend/speedy_backend: $(SAN_BE_OBJ) $(SAN_COMMON_OBJ)
	$(CC) $(SAN_LDFLAGS) -o $@ $(SAN_BE_OBJ) $(SAN_COMMON_OBJ) \
	    $(PERL_LDOPTS) $(LIBS)

$(SAN_DIR)/src/fcgi/speedy-fcgi: $(SAN_SF_OBJ) $(SAN_COMMON_OBJ)
	$(CC) $(SAN_LDFLAGS) -o $@ $(SAN_SF_OBJ) $(SAN_COMMON_OBJ) \
	    $(CONFUSE_LIBS) $(LIBS)

$(SAN_DIR)/admin/speedy-admin: $(SAN_ADMIN_OBJ) $(SAN_COMMON_OBJ)
	$(CC) $(SAN_LDFLAGS) -o $@ $(SAN_ADMIN_OBJ) $(SAN_COMMON_OBJ) \
	    $(CONFUSE_LIBS) $(LIBS)

# The unit tests: as in Makefile.in, with the sanitized objects (a new
# one that needs more than the common objects needs a rule here).
$(filter-out %/test_conf %/test_script %/test_fcgi,$(SAN_UNIT_TESTS)): \
    $(SAN_DIR)/tests/unit/%: tests/unit/%.c tests/unit/unit.h \
    $(SAN_COMMON_OBJ)
	@$(MKDIR_P) $(@D)
	$(CC) $(SAN_CFLAGS) -Itests/unit $(SAN_LDFLAGS) -o $@ $< \
	    $(SAN_COMMON_OBJ)
$(SAN_DIR)/tests/unit/test_conf: tests/unit/test_conf.c tests/unit/unit.h \
    $(SAN_DIR)/admin/conf.o $(SAN_COMMON_OBJ)
	@$(MKDIR_P) $(@D)
	$(CC) $(SAN_CFLAGS) -Iadmin -Itests/unit $(SAN_LDFLAGS) -o $@ $< \
	    $(SAN_DIR)/admin/conf.o $(SAN_COMMON_OBJ) $(CONFUSE_LIBS)
$(SAN_DIR)/tests/unit/test_fcgi: tests/unit/test_fcgi.c tests/unit/unit.h \
    $(SAN_DIR)/src/common/fcgi.o $(SAN_COMMON_OBJ)
	@$(MKDIR_P) $(@D)
	$(CC) $(SAN_CFLAGS) -Itests/unit $(SAN_LDFLAGS) -o $@ $< \
	    $(SAN_DIR)/src/common/fcgi.o $(SAN_COMMON_OBJ)
$(SAN_DIR)/tests/unit/test_script: tests/unit/test_script.c \
    tests/unit/unit.h $(SAN_DIR)/src/backend/be_script.o $(SAN_COMMON_OBJ)
	@$(MKDIR_P) $(@D)
	$(CC) $(SAN_CFLAGS) -Isrc/backend -Itests/unit $(SAN_LDFLAGS) -o $@ \
	    $< $(SAN_DIR)/src/backend/be_script.o $(SAN_COMMON_OBJ)

# Deliberate errors, at -O0 so that none is optimized away: for ASan
# and, built plain, for valgrind.
$(SAN_DIR)/canary: tests/sanitize/canary.c
	@$(MKDIR_P) $(@D)
	$(CC) -g -O0 $(SAN_FLAGS) $(LDFLAGS) $(SAN_STATIC) -o $@ \
	    tests/sanitize/canary.c
$(SAN_DIR)/canary-plain: tests/sanitize/canary.c
	@$(MKDIR_P) $(@D)
	$(CC) -g -O0 $(LDFLAGS) -o $@ tests/sanitize/canary.c

$(SAN_ETC):
	@$(MKDIR_P) $(SAN_DIR)
	ln -s ../../../etc $@

# The whole run: every bats suite against the sanitized programs (and
# what the suites need built, as for make check).
check-asan: all $(CHECK_EXTRA)
	BATS="$(BATS)" PERL="$(PERL)" sh tests/sanitize/asan --all

clean: clean-sanitize
clean-sanitize:
	rm -rf $(SAN_DIR)

.PHONY: check-asan clean-sanitize
