# SPATE_SANITIZE: "" | address (address+undefined) | thread
set(SPATE_SANITIZE "" CACHE STRING "Sanitizer build: address or thread")
if(SPATE_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(SPATE_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT SPATE_SANITIZE STREQUAL "")
  message(FATAL_ERROR "SPATE_SANITIZE must be empty, address or thread")
endif()
# The sanitizer presets build with -O1 and line tables only: fast enough to run the suite, quick
# to compile on two cores, and the reports still name file and line.
set(CMAKE_CXX_FLAGS_SANITIZE "-O1 -g1" CACHE STRING "Flags of the Sanitize build type")
if(CMAKE_BUILD_TYPE STREQUAL "Debug")
  add_compile_definitions(_GLIBCXX_ASSERTIONS)
endif()
