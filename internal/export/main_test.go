package export_test

import (
	"os"
	"testing"

	"lectern/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.MainFresh(m)) }
