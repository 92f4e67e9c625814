# cmake -DIN=examples/counter/isola.toml -DOUT=build/examples/counter/isola.toml
#       -DISSUER_FILE=build/examples/keys/account.pub -P pin_issuer.cmake
# Writes the example manifest for use from build/examples/<name>/: paths into the build
# directory made relative to it, and the build's account key as the only trusted issuer.
file(READ ${IN} text)
string(REPLACE "../../build/examples/" "../" text "${text}")
file(READ ${ISSUER_FILE} issuer)
string(STRIP "${issuer}" issuer)
string(APPEND text "\n# Added by the build: only modules signed by the build's account key run here.\n")
string(APPEND text "[claims]\ntrusted_issuers = [\"${issuer}\"]\n")
file(WRITE ${OUT} "${text}")
