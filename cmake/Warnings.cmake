# Strict warnings for the project's own targets only (never for third-party code).
function(spate_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Wnon-virtual-dtor -Woverloaded-virtual -Wnull-dereference -Wformat=2
    -Wimplicit-fallthrough -Wduplicated-cond -Wlogical-op
    # g++ 12 reports -Wrestrict inside std::string's operator+ at -O2/-O3 (GCC bug 105329, a
    # false positive in libstdc++ itself), so it cannot be an error here.
    -Wno-restrict)
  if(SPATE_WERROR)
    set_target_properties(${target} PROPERTIES COMPILE_WARNING_AS_ERROR ON)
  endif()
endfunction()
option(SPATE_WERROR "Treat warnings as errors (on in CI and scripts/test)" OFF)
