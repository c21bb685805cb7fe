// Data and checkpoint IO. (filled in below)
import BrittleNN
