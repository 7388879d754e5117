# Run at build time (cmake -P) so the revision in the binary follows the checkout, not the last
# configure: writes OUT (a .cc defining te::kGitRevision) from `git rev-parse` in SRC, and
# touches it only when the text changes, so an unchanged checkout rebuilds nothing.
execute_process(COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY "${SRC}"
  OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no
  WORKING_DIRECTORY "${SRC}"
  OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT rev)
  set(rev "unknown")
elseif(dirty)
  set(rev "${rev}-dirty")
endif()
set(text "// Generated at build time by cmake/TeGitRevision.cmake.\n#include \"common/version.h\"\n\nnamespace te {\nconst char* const kGitRevision = \"${rev}\";\n}  // namespace te\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE "${OUT}" "${text}")
endif()
