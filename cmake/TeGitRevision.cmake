# The checkout's revision ("unknown" outside git, "-dirty" with changes to tracked files) in
# TE_GIT_REVISION, read in SRC. Included at configure time (the summary line), and run at build
# time (cmake -P with OUT) so the revision in the binary follows the checkout, not the last
# configure: writes OUT (a .cc defining te::kGitRevision), touching it only when the text
# changes, so an unchanged checkout rebuilds nothing.
execute_process(COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY "${SRC}"
  OUTPUT_VARIABLE TE_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no
  WORKING_DIRECTORY "${SRC}"
  OUTPUT_VARIABLE te_git_dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT TE_GIT_REVISION)
  set(TE_GIT_REVISION "unknown")
elseif(te_git_dirty)
  set(TE_GIT_REVISION "${TE_GIT_REVISION}-dirty")
endif()
if(NOT OUT)
  return()
endif()
set(text "// Generated at build time by cmake/TeGitRevision.cmake.\n#include \"common/version.h\"\n\nnamespace te {\nconst char* const kGitRevision = \"${TE_GIT_REVISION}\";\n}  // namespace te\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE "${OUT}" "${text}")
endif()
