# cmake -DSAKURA_ROOT=<source tree> -DWORK=<scratch dir> -P test_boundaries.cmake
cmake_minimum_required(VERSION 3.18)
set(checker ${SAKURA_ROOT}/cmake/SakuraBoundaries.cmake)

function(run_checker root out_rc out_text)
  execute_process(COMMAND ${CMAKE_COMMAND} -DSAKURA_ROOT=${root} -P ${checker}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  set(${out_rc} ${rc} PARENT_SCOPE)
  set(${out_text} "${o}${e}" PARENT_SCOPE)
endfunction()

# A fresh tree holding one file `rel` with one line `line`; `expect` is "pass" or the module the
# checker must name as forbidden.
function(fixture rel line expect)
  set(root ${WORK}/tree)
  file(REMOVE_RECURSE ${root})
  get_filename_component(dir ${root}/${rel} DIRECTORY)
  file(MAKE_DIRECTORY ${dir})
  file(WRITE ${root}/${rel} "// fixture\n${line}\nint x;\n")
  run_checker(${root} rc text)
  if(expect STREQUAL "pass")
    if(NOT rc EQUAL 0)
      message(SEND_ERROR "${rel} with '${line}' should pass, the checker said:\n${text}")
    endif()
  else()
    string(REPLACE "." "\\." rel_re "${rel}")
    if(rc EQUAL 0)
      message(SEND_ERROR "${rel} with '${line}' should fail (forbidden ${expect}/), it passed")
    elseif(NOT text MATCHES "${rel_re}: '[^\n]*': [a-z/]+/ must not include ${expect}/")
      message(SEND_ERROR "${rel} with '${line}': the message does not name the file and ${expect}/:\n${text}")
    endif()
  endif()
endfunction()

# The real tree keeps to the graph.
run_checker(${SAKURA_ROOT} rc text)
if(NOT rc EQUAL 0)
  message(SEND_ERROR "the source tree crosses a boundary:\n${text}")
endif()

# broker/ knows nothing above it, headers included.
fixture(broker/src/x.cpp "#include \"auth/authenticator.hpp\"" auth)
fixture(broker/include/broker/x.hpp "#include <lockrules/lock_rules.hpp>" lockrules)
fixture(broker/src/x.cpp "#include \"storage/open.hpp\"" storage)
fixture(broker/src/x.cpp "  #  include \"http/api.hpp\"" http)
fixture(broker/src/x.cpp "#include \"common/clock.hpp\"" pass)
# lockrules/ nothing of http/ or app/ (app's headers are reached by climbing).
fixture(lockrules/src/x.cpp "#include \"http/api.hpp\"" http)
fixture(lockrules/src/x.cpp "#include \"../../app/src/config.hpp\"" app)
fixture(lockrules/src/x.cpp "#include \"auth/credential_keeper.hpp\"" pass)
# auth/ nothing of lockrules/, http/, app/; of broker/ only the hook contracts.
fixture(auth/src/x.cpp "#include \"lockrules/lock_rules.hpp\"" lockrules)
fixture(auth/include/auth/x.hpp "#include \"http/api.hpp\"" http)
fixture(auth/src/x.cpp "#include \"broker/server.hpp\"" broker)
fixture(auth/src/x.cpp "#include \"broker/hooks.hpp\"" pass)
# storage/ nothing of auth/, lockrules/, http/, app/; of broker/ the persistence contracts.
fixture(storage/src/x.cpp "#include \"auth/credential_store.hpp\"" auth)
fixture(storage/src/x.cpp "#include \"broker/broker.hpp\"" broker)
fixture(storage/src/x.cpp "#include \"broker/persisted_state.hpp\"" pass)
fixture(storage/src/x.cpp "#include \"../../broker/include/broker/server.hpp\"" broker)
# http/ nothing of app/.
fixture(http/src/x.cpp "#include \"../../app/src/wiring.hpp\"" app)
fixture(http/src/x.cpp "#include \"broker/listener.hpp\"" pass)
# common/ includes no other module.
fixture(common/src/x.cpp "#include \"broker/hooks.hpp\"" broker)
# firmware/ only the codec; its host simulator also common/.
fixture(firmware/src/x.cpp "#include \"broker/broker.hpp\"" broker)
fixture(firmware/src/x.cpp "#include \"common/clock.hpp\"" common)
fixture(firmware/src/x.cpp "#include \"broker/codec/decode.hpp\"" pass)
fixture(firmware/sim/x.cpp "#include \"common/clock.hpp\"" pass)
fixture(firmware/sim/x.cpp "#include \"storage/open.hpp\"" storage)
# bench/ the codec and common/.
fixture(bench/src/x.cpp "#include \"broker/server.hpp\"" broker)
# Not includes of a module: a comment, a library, the file's own folder.
fixture(broker/src/x.cpp "// #include \"auth/authenticator.hpp\"" pass)
fixture(auth/src/x.cpp "#include <boost/asio/post.hpp>" pass)
fixture(auth/src/x.cpp "#include \"auth/user_acl.hpp\"" pass)
