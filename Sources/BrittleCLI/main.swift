import ArgumentParser
import BrittleGEMM
import BrittleNN
print("brittle")
