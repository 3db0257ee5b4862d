# Strict warnings for the project's own targets only (never for third-party code).
function(spate_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Wnon-virtual-dtor -Woverloaded-virtual -Wnull-dereference -Wformat=2
    -Wimplicit-fallthrough -Wduplicated-cond -Wlogical-op)
  if(SPATE_WERROR)
    set_target_properties(${target} PROPERTIES COMPILE_WARNING_AS_ERROR ON)
  endif()
endfunction()
option(SPATE_WERROR "Treat warnings as errors (on in CI and scripts/test)" OFF)
