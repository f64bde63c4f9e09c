// hpackcheck: HPACK as Go's x/net/http2/hpack does it (the codec in front of etcd's gRPC server),
// for the differential HPACK test (test/h2/hpack.test.ts).
//
// stdin, one command per line; stdout, one answer per command:
//
//	reset                      new encoder and decoder (tables of 4,096 octets)
//	enc <size> <n>:<v>,...     encode one block with the session's encoder; <size> >= 0 first
//	                           sets its table size (as a peer's SETTINGS_HEADER_TABLE_SIZE
//	                           does); names and values in hex, a field "s" after its value is
//	                           sensitive (never indexed) -> "ok <hex block>"
//	dec <hex block>            decode one block with the session's decoder
//	                           -> "ok <n>:<v>,..." or "err <error>" (the decoder is then reset)
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/net/http2/hpack"
)

func main() {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	var dec *hpack.Decoder
	var fields []string
	newDecoder := func() {
		dec = hpack.NewDecoder(4096, func(f hpack.HeaderField) {
			fields = append(fields, hex.EncodeToString([]byte(f.Name))+":"+hex.EncodeToString([]byte(f.Value)))
		})
	}
	newDecoder()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		parts := strings.SplitN(in.Text(), " ", 3)
		switch parts[0] {
		case "reset":
			buf.Reset()
			enc = hpack.NewEncoder(&buf)
			newDecoder()
			fmt.Fprintln(out, "ok")
		case "enc":
			size, err := strconv.Atoi(parts[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, "bad size:", parts[1])
				os.Exit(2)
			}
			if size >= 0 {
				enc.SetMaxDynamicTableSize(uint32(size))
			}
			buf.Reset()
			if len(parts) == 3 && parts[2] != "" {
				for _, f := range strings.Split(parts[2], ",") {
					nv := strings.Split(f, ":")
					n, _ := hex.DecodeString(nv[0])
					v, _ := hex.DecodeString(nv[1])
					if err := enc.WriteField(hpack.HeaderField{Name: string(n), Value: string(v), Sensitive: len(nv) > 2}); err != nil {
						fmt.Fprintln(os.Stderr, "encode:", err)
						os.Exit(2)
					}
				}
			}
			fmt.Fprintln(out, "ok", hex.EncodeToString(buf.Bytes()))
		case "dec":
			block := []byte{}
			if len(parts) > 1 {
				block, _ = hex.DecodeString(parts[1])
			}
			fields = fields[:0]
			_, err := dec.Write(block)
			if err == nil {
				err = dec.Close()
			}
			if err != nil {
				fmt.Fprintln(out, "err", err)
				newDecoder()
			} else {
				fmt.Fprintln(out, "ok", strings.Join(fields, ","))
			}
		default:
			fmt.Fprintln(os.Stderr, "unknown command:", parts[0])
			os.Exit(2)
		}
	}
}
