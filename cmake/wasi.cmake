# isola_wasi_program(NAME SOURCES... [FLAGS ...]) builds C sources into NAME.wasm with
# Debian's clang for wasm32-wasi, whatever compiler builds the host.
find_program(ISOLA_WASI_CC NAMES clang clang-14 REQUIRED)

function(isola_wasi_program name)
  cmake_parse_arguments(W "" "OUTPUT_DIR" "SOURCES;FLAGS" ${ARGN})
  if(NOT W_OUTPUT_DIR)
    set(W_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  set(out ${W_OUTPUT_DIR}/${name}.wasm)
  set(srcs)
  foreach(s ${W_SOURCES})
    list(APPEND srcs ${CMAKE_CURRENT_SOURCE_DIR}/${s})
  endforeach()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${ISOLA_WASI_CC} --target=wasm32-wasi -O2 ${W_FLAGS} -o ${out} ${srcs}
    DEPENDS ${srcs}
    COMMENT "wasm32-wasi ${name}.wasm"
    VERBATIM)
  add_custom_target(${name}_wasm ALL DEPENDS ${out})
endfunction()
