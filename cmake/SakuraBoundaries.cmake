# The module graph, and the check that keeps the sources to it (docs/architecture.md, "Modules").
#
# A module is a top-level folder. Its sources (.cpp/.hpp/.h/.c under it) may include their own
# module's headers, and headers of the modules SAKURA_ALLOW_<folder> names; any other include of
# a module header fails the build, naming the file and the module it must not know. An include
# names a module by its first path component ("auth/x.hpp", <storage/y.hpp>) or, when it climbs
# with "../", by the folder it lands in. Includes without a module prefix are the file's own.
#
# include()d from the top CMakeLists.txt it adds the target sakura_boundaries, which every
# library and executable depends on; run as `cmake -DSAKURA_ROOT=<tree> -P SakuraBoundaries.cmake`
# it checks <tree> (tests/boundaries runs it on fixtures).

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.18)  # the policies of the build, when run on its own
endif()

set(SAKURA_MODULES common broker storage auth lockrules http firmware bench app)

# Parts of broker/ that a module may be given without the rest, named after their targets.
set(SAKURA_PART_sakura_codec broker/codec/ broker/topic.hpp)
set(SAKURA_PART_sakura_broker_api
    ${SAKURA_PART_sakura_codec}
    broker/hooks.hpp broker/message.hpp broker/log_text.hpp broker/log_throttle.hpp)
set(SAKURA_PART_sakura_persisted_state
    ${SAKURA_PART_sakura_broker_api} broker/persistence.hpp broker/persisted_state.hpp)

# The allowed graph. common/ is for everyone and knows no one; each layer knows only those below
# it; firmware/'s core is an MCU build that shares nothing but the codec's headers, its host
# simulator also common/. A longer folder (firmware/sim) overrides a shorter one (firmware).
set(SAKURA_ALLOW_common "")
set(SAKURA_ALLOW_broker common)
set(SAKURA_ALLOW_storage common sakura_persisted_state)
set(SAKURA_ALLOW_auth common sakura_broker_api storage)
set(SAKURA_ALLOW_lockrules common sakura_broker_api storage auth)
set(SAKURA_ALLOW_http common broker storage auth)
set(SAKURA_ALLOW_app common broker storage auth lockrules http)
set(SAKURA_ALLOW_bench common sakura_codec)
set(SAKURA_ALLOW_firmware sakura_codec)
set(SAKURA_ALLOW_firmware/sim sakura_codec common)

# The rule that governs `rel` (a path from the tree's root): the longest folder with a rule.
function(_sakura_rule_of rel out)
  set(_best "")
  foreach(_key common broker storage auth lockrules http app bench firmware firmware/sim)
    string(LENGTH "${_key}/" _n)
    string(SUBSTRING "${rel}" 0 ${_n} _head)
    string(LENGTH "${_best}" _best_n)
    if(_head STREQUAL "${_key}/" AND _n GREATER _best_n)
      set(_best ${_key})
    endif()
  endforeach()
  set(${out} "${_best}" PARENT_SCOPE)
endfunction()

# Whether `module` (the folder an include lands in) and `path` (as included, from the module's
# include/ folder) are allowed by the rule `rule`.
function(_sakura_allowed rule module path out)
  foreach(_entry ${SAKURA_ALLOW_${rule}})
    if(_entry STREQUAL module)
      set(${out} TRUE PARENT_SCOPE)
      return()
    endif()
    foreach(_prefix ${SAKURA_PART_${_entry}})
      string(LENGTH "${_prefix}" _n)
      string(SUBSTRING "${path}" 0 ${_n} _head)
      if(_head STREQUAL _prefix)
        set(${out} TRUE PARENT_SCOPE)
        return()
      endif()
    endforeach()
  endforeach()
  set(${out} FALSE PARENT_SCOPE)
endfunction()

# Checks the sources of `dirs` under `root`; sets `out` to one line per forbidden include.
function(sakura_check_boundaries root dirs out)
  set(_errors "")
  foreach(_dir ${dirs})
    file(GLOB_RECURSE _files ${root}/${_dir}/*.cpp ${root}/${_dir}/*.hpp ${root}/${_dir}/*.h
         ${root}/${_dir}/*.c ${root}/${_dir}/*.ipp)
    foreach(_file ${_files})
      file(RELATIVE_PATH _rel ${root} ${_file})
      _sakura_rule_of(${_rel} _rule)
      string(REGEX MATCH "^[^/]+" _own "${_rel}")
      get_filename_component(_file_dir ${_file} DIRECTORY)
      file(STRINGS ${_file} _lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"][^>\"]+[>\"]")
      foreach(_line IN LISTS _lines)
        string(REGEX MATCH "[<\"]([^>\"]+)[>\"]" _ "${_line}")
        set(_path "${CMAKE_MATCH_1}")
        if(_path MATCHES "(^|/)\\.\\./")
          # A climbing include: the folder it lands in, and its path under that module's include/.
          get_filename_component(_target "${_path}" ABSOLUTE BASE_DIR ${_file_dir})
          file(RELATIVE_PATH _landed ${root} ${_target})
          if(_landed MATCHES "^\\.\\./")
            continue()  # outside the tree
          endif()
          string(REGEX MATCH "^[^/]+" _module "${_landed}")
          set(_path "${_landed}")
          if(_landed MATCHES "^[^/]+/include/(.*)$")
            set(_path "${CMAKE_MATCH_1}")
          endif()
        else()
          string(REGEX MATCH "^[^/]+/" _module "${_path}")
          string(REGEX REPLACE "/$" "" _module "${_module}")
        endif()
        if(NOT _module IN_LIST SAKURA_MODULES OR _module STREQUAL _own)
          continue()
        endif()
        _sakura_allowed("${_rule}" ${_module} "${_path}" _ok)
        if(NOT _ok)
          string(STRIP "${_line}" _line)
          string(REPLACE ";" " " _may "${SAKURA_ALLOW_${_rule}}")
          if(_may STREQUAL "")
            set(_may "no other module")
          endif()
          list(APPEND _errors
               "${_rel}: '${_line}': ${_rule}/ must not include ${_module}/ (it may include: ${_may})")
        endif()
      endforeach()
    endforeach()
  endforeach()
  set(${out} "${_errors}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE)
  # cmake -DSAKURA_ROOT=<tree> [-DSAKURA_DIRS=a,b] [-DSAKURA_STAMP=<file>] -P SakuraBoundaries.cmake
  if(NOT SAKURA_ROOT)
    message(FATAL_ERROR "SakuraBoundaries.cmake: set SAKURA_ROOT")
  endif()
  if(SAKURA_DIRS)
    string(REPLACE "," ";" _dirs "${SAKURA_DIRS}")
  else()
    set(_dirs ${SAKURA_MODULES})
  endif()
  sakura_check_boundaries(${SAKURA_ROOT} "${_dirs}" _errors)
  if(_errors)
    list(LENGTH _errors _count)
    string(REPLACE ";" "\n  " _text "${_errors}")
    message(FATAL_ERROR "module boundaries: ${_count} forbidden include(s), see the graph in "
                        "cmake/SakuraBoundaries.cmake:\n  ${_text}")
  endif()
  if(SAKURA_STAMP)
    file(TOUCH ${SAKURA_STAMP})
  endif()
  return()
endif()

# The build step: re-run whenever a source of a checked folder changes (a new file reconfigures,
# through CONFIGURE_DEPENDS). `dirs`: the folders this build has (SAKURA_ONLY may leave some out).
function(sakura_add_boundary_check dirs)
  set(_files "")
  foreach(_dir ${dirs})
    file(GLOB_RECURSE _found CONFIGURE_DEPENDS
         ${PROJECT_SOURCE_DIR}/${_dir}/*.cpp ${PROJECT_SOURCE_DIR}/${_dir}/*.hpp
         ${PROJECT_SOURCE_DIR}/${_dir}/*.h ${PROJECT_SOURCE_DIR}/${_dir}/*.c
         ${PROJECT_SOURCE_DIR}/${_dir}/*.ipp)
    list(APPEND _files ${_found})
  endforeach()
  string(REPLACE ";" "," _dir_arg "${dirs}")
  set(_stamp ${PROJECT_BINARY_DIR}/boundaries.stamp)
  add_custom_command(
    OUTPUT ${_stamp}
    COMMAND ${CMAKE_COMMAND} -DSAKURA_ROOT=${PROJECT_SOURCE_DIR} -DSAKURA_DIRS=${_dir_arg}
            -DSAKURA_STAMP=${_stamp} -P ${CMAKE_CURRENT_FUNCTION_LIST_FILE}
    DEPENDS ${_files} ${CMAKE_CURRENT_FUNCTION_LIST_FILE}
    COMMENT "Checking module boundaries (cmake/SakuraBoundaries.cmake)"
    VERBATIM)
  add_custom_target(sakura_boundaries ALL DEPENDS ${_stamp})
endfunction()

# Makes every compiled target under `dir` wait for the check, so a forbidden include stops any
# `cmake --build`, whichever target it asks for.
function(sakura_depend_on_boundaries dir)
  get_property(_targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(_t ${_targets})
    get_target_property(_type ${_t} TYPE)
    if(_type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY|EXECUTABLE)$")
      add_dependencies(${_t} sakura_boundaries)
    endif()
  endforeach()
  get_property(_subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(_sub ${_subdirs})
    sakura_depend_on_boundaries(${_sub})
  endforeach()
endfunction()
